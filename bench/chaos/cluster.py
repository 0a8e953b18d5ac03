"""A RabbitMQ cluster of three nodes on this machine, for the fault suite only.

Each node has its own name (``chaos1-<run>@localhost``...), free AMQP and distribution ports, config
file and data folder under a temporary directory, so it runs beside the node the rest of
the suite uses (5672) and leaves it alone. Nodes run as the ``rabbitmq`` user, whose
Erlang cookie the ``rabbitmqctl`` wrapper also uses.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from tests.support.smtp import free_port

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
RABBITMQ_HOME = "/var/lib/rabbitmq"


class ClusterError(RuntimeError):
    """The cluster could not be started: the fault suite fails, it never skips."""


def ctl(*args: str, timeout: float = 60, check: bool = True) -> str:
    result = subprocess.run(
        ["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise ClusterError(f"rabbitmqctl {' '.join(args)}: {result.stderr.strip()[-500:]}")
    return result.stdout


class Node:
    def __init__(self, name: str, base: Path):
        self.name = f"{name}@localhost"
        self.amqp_port = free_port()
        self.dist_port = free_port()
        self.home = base / name
        self.home.mkdir()
        (self.home / "enabled_plugins").write_text("[].\n")
        (self.home / "env.conf").write_text("")
        (self.home / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.amqp_port}\n"
            "loopback_users.guest = true\n"
            # The suite takes a whole node down on purpose: the rest pause nothing.
            "cluster_partition_handling = ignore\n"
            "log.console = false\n"
        )

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}//"

    def env(self) -> dict[str, str]:
        return dict(os.environ) | {
            "HOME": RABBITMQ_HOME,
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.home / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(self.home / "env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.home / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.home / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.home / "log"),
            "RABBITMQ_PID_FILE": str(self.home / "node.pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_SERVER_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def start(self) -> None:
        subprocess.run(
            ["runuser", "-u", "rabbitmq", "--", SERVER, "-detached"],
            env=self.env(),
            cwd=RABBITMQ_HOME,
            check=True,
            capture_output=True,
            timeout=60,
        )

    def await_startup(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        error = ""
        while time.monotonic() < deadline:
            result = subprocess.run(
                ["rabbitmqctl", "-q", "-n", self.name, "await_startup", "--timeout", "10"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            if result.returncode == 0:
                return
            error = result.stderr.strip()[-300:]
            time.sleep(1)
        raise ClusterError(f"{self.name} did not start within {timeout:.0f} s: {error}")

    def pid(self) -> int | None:
        try:
            return int((self.home / "node.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def alive(self) -> bool:
        pid = self.pid()
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self) -> None:
        """SIGKILL of the node's Erlang VM: no goodbye to the cluster or the clients."""
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.1)


class Cluster:
    """Three nodes, clustered; ``stop()`` kills them and removes every file they wrote."""

    def __init__(self, size: int = 3):
        self.base = Path(tempfile.mkdtemp(prefix="chaos-rabbitmq-"))
        shutil.chown(self.base, "rabbitmq", "rabbitmq")
        self.base.chmod(0o755)
        # Names and ports of their own, so two runs (or a run beside the suite) never meet.
        run = uuid.uuid4().hex[:6]
        self.nodes = [Node(f"chaos{i + 1}-{run}", self.base) for i in range(size)]
        for path in self.base.rglob("*"):
            shutil.chown(path, "rabbitmq", "rabbitmq")

    @property
    def broker_url(self) -> str:
        """Every node, as Kombu's failover takes them."""
        return ";".join(node.url for node in self.nodes)

    def start(self) -> Cluster:
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            node.await_startup()
        first = self.nodes[0]
        for node in self.nodes[1:]:
            ctl("-n", node.name, "stop_app")
            ctl("-n", node.name, "join_cluster", first.name)
            ctl("-n", node.name, "start_app")
        running = ctl("-n", first.name, "cluster_status", "--formatter", "json")
        missing = [n.name for n in self.nodes if n.name not in running]
        if missing:
            raise ClusterError(f"nodes missing from the cluster: {missing}")
        # As deploy/README.md asks of an operator: queue leaders spread over the members.
        ctl(
            "-n",
            first.name,
            "set_policy",
            "--apply-to",
            "queues",
            "coaching-leaders",
            r"^(intake|plans|notifications)\.",
            '{"queue-leader-locator":"balanced"}',
        )
        return self

    def leader_nodes(self) -> dict[str, str]:
        """Each quorum queue of the services and the node that leads it."""
        return {
            queue: node
            for queue, node in self.queue_column("leader").items()
            if queue.split(".", 1)[0] in ("intake", "plans", "notifications")
        }

    def live_node(self) -> Node:
        for node in self.nodes:
            if node.alive():
                return node
        raise ClusterError("no node of the cluster is running")

    def node_named(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    def queue_column(self, column: str, vhost: str = "/") -> dict[str, str]:
        out = ctl(
            "-n",
            self.live_node().name,
            "list_queues",
            "-p",
            vhost,
            "name",
            column,
            "--no-table-headers",
            timeout=30,
        )
        return dict(line.split(None, 1) for line in out.splitlines() if len(line.split()) == 2)

    def queue_depths(self) -> dict[str, int]:
        return {q: int(v) for q, v in self.queue_column("messages").items() if v.isdigit()}

    def leader_of(self, queue: str) -> Node:
        return self.node_named(self.queue_column("leader")[queue])

    def restart(self, node: Node) -> None:
        node.start()
        node.await_startup()

    def stop(self) -> None:
        for node in self.nodes:
            node.kill()
        shutil.rmtree(self.base, ignore_errors=True)
