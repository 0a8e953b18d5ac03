import pytest

from tests.conftest import PLATFORM_TOKEN
from tests.support.api import HttpTransport, PlatformApi
from tests.support.processes import ProcessSystem


@pytest.fixture
def processes(env, tmp_path, request):
    system = ProcessSystem(env, tmp_path / "logs").prepare()
    yield system
    system.stop_all()
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        print(system.logs())


@pytest.fixture
def http_api(processes) -> PlatformApi:
    return PlatformApi(HttpTransport(processes.base_urls), PLATFORM_TOKEN)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)
