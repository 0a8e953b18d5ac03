"""Every metric of ``shared.metrics`` has labels. An API's gunicorn workers write their
samples into ``PROMETHEUS_MULTIPROC_DIR``, which the API makes when it starts; a metric
with no labels opens its sample file as ``shared.metrics`` is imported, before that
folder exists, and the API dies at start (``make run`` restarted it for ever)."""

from prometheus_client.metrics import MetricWrapperBase

from shared import metrics


def test_every_metric_has_labels_so_none_writes_a_sample_file_on_import():
    declared = {
        name: metric
        for name, metric in vars(metrics).items()
        if isinstance(metric, MetricWrapperBase)
    }
    assert declared, "shared.metrics declares no metric"
    unlabelled = sorted(name for name, metric in declared.items() if not metric._labelnames)
    assert unlabelled == []
