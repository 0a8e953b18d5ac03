"""The Kubernetes manifests as the cluster gets them: an overlay rendered by kustomize
(``kubectl kustomize``, the one ``kubectl apply -k`` runs), or the base's files as they
are."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.support.tools import required_tool

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"


def base_documents(folder: Path = K8S / "base") -> list[dict]:
    """The resources a kustomization lists, read as they are (no transformation)."""
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    documents = []
    for resource in kustomization["resources"]:
        path = folder / resource
        if path.is_dir():
            documents += base_documents(path)
        else:
            documents += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return documents


def rendered(overlay: str) -> list[dict]:
    """``deploy/k8s/<overlay>`` as ``kubectl apply -k`` would apply it."""
    kubectl = required_tool("kubectl", "rendering the Kustomize overlay (kubectl kustomize)")
    done = subprocess.run(
        [kubectl, "kustomize", str(K8S / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def of_kind(documents: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}
