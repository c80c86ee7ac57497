"""A live local cluster for the conformance suite: one agora-master and one
agora-agent from the build directory, on free loopback ports, in a temporary
work directory.

The binaries come from $AGORA_BUILD_DIR/bin (ctest sets AGORA_BUILD_DIR).
Start-up waits on conditions (the master leads, the agent is listed) with
deadlines; `stop()` asks the agent to kill its tasks (SIGUSR1, as the C++
system tests do), then stops the master, and keeps the logs when asked.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import grpc

import agora_proto

api = agora_proto.load()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout, what, poll=0.05):
    """Polls `condition()` until it is true; raises TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(poll)


class LocalCluster:
    def __init__(self, build_dir=None, resources="cpus:4;mem:2048;disk:1024;ports:[31000-31099]"):
        self.build_dir = build_dir or os.environ.get("AGORA_BUILD_DIR", "build")
        self.bin = os.path.join(os.path.abspath(self.build_dir), "bin")
        self.resources = resources
        self.dir = tempfile.mkdtemp(prefix="agora-conformance-")
        self.port = free_port()
        self.master_address = "127.0.0.1:%d" % self.port
        self.processes = []  # (name, Popen), in start order
        self.channel = None
        self.operator = None

    def _spawn(self, name, argv):
        log = open(os.path.join(self.dir, name + ".log"), "wb")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        log.close()
        self.processes.append((name, process))
        return process

    def log(self, name):
        with open(os.path.join(self.dir, name + ".log"), errors="replace") as f:
            return f.read()

    def _check_running(self):
        for name, process in self.processes:
            if process.poll() is not None:
                raise RuntimeError("%s exited with %s at start-up; log tail:\n%s" %
                                   (name, process.returncode, self.log(name)[-3000:]))

    def start(self, timeout=30.0):
        for binary in ("agora-master", "agora-agent", "agora-shim"):
            if not os.access(os.path.join(self.bin, binary), os.X_OK):
                raise RuntimeError("%s not built in %s" % (binary, self.bin))
        os.makedirs(os.path.join(self.dir, "master"))
        os.makedirs(os.path.join(self.dir, "agent"))
        self._spawn("master", [
            os.path.join(self.bin, "agora-master"), "--ip=127.0.0.1",
            "--port=%d" % self.port, "--http_port=0",
            "--work_dir=" + os.path.join(self.dir, "master"), "--logtostderr"])
        self.channel = grpc.insecure_channel(self.master_address)
        self.operator = api.master_pb2_grpc.MasterOperatorStub(self.channel)
        wait_until(lambda: self._check_running() or self._leading(), timeout,
                   "the master to lead")
        self._spawn("agent", [
            os.path.join(self.bin, "agora-agent"), "--master=" + self.master_address,
            "--ip=127.0.0.1", "--port=0", "--http_port=0",
            "--work_dir=" + os.path.join(self.dir, "agent"),
            "--resources=" + self.resources, "--logtostderr"])
        wait_until(lambda: self._check_running() or len(self.agents()) == 1, timeout,
                   "the agent to register")
        return self

    def _leading(self):
        try:
            health = self.operator.GetHealth(api.master_pb2.GetHealthRequest(), timeout=2)
            return health.leading
        except grpc.RpcError:
            return False

    def agents(self):
        return list(self.operator.GetAgents(api.master_pb2.GetAgentsRequest(), timeout=5).agents)

    def tasks(self, framework_id, include_completed=True):
        request = api.master_pb2.GetTasksRequest(include_completed=include_completed)
        request.framework_id.value = framework_id
        return list(self.operator.GetTasks(request, timeout=5).tasks)

    def frameworks(self, include_completed=False):
        request = api.master_pb2.GetFrameworksRequest(include_completed=include_completed)
        return self.operator.GetFrameworks(request, timeout=5)

    def stop(self, keep_dir=False):
        # Agent first (SIGUSR1: it kills its executors and tasks, then exits),
        # then the master.
        for name, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGUSR1 if name == "agent" else signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.channel is not None:
            self.channel.close()
        if not keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
