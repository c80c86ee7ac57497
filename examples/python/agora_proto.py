"""Python stubs for Agora's wire API, generated from proto/ on first use.

Nothing is checked in: `load()` runs Debian's `protoc` with
`grpc_python_plugin` (package protobuf-compiler-grpc) over proto/agora/v1
into a temporary directory, puts it on sys.path and returns the generated
modules. The runtime is Debian's python3-grpcio and python3-protobuf, which
match that protoc; run with /usr/bin/python3.

    api = agora_proto.load()
    request = api.scheduler_pb2.SubscribeRequest()
"""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import types

_REPO_PROTO_DIR = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto"))
_FILES = ("common", "scheduler", "master", "executor", "agent")
_loaded = None


def _generate(proto_dir, out_dir):
    plugin = shutil.which("grpc_python_plugin") or "/usr/bin/grpc_python_plugin"
    protoc = shutil.which("protoc") or "/usr/bin/protoc"
    sources = [os.path.join("agora", "v1", name + ".proto") for name in _FILES]
    command = [protoc, "-I", proto_dir, "--python_out=" + out_dir,
               "--grpc_python_out=" + out_dir,
               "--plugin=protoc-gen-grpc_python=" + plugin] + sources
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError("protoc failed (%s): %s" % (" ".join(command), result.stderr))


def load(proto_dir=None):
    """Generates (once per process) and imports the agora.v1 modules.

    Returns a namespace with common_pb2, scheduler_pb2, scheduler_pb2_grpc,
    master_pb2, master_pb2_grpc, executor_pb2, executor_pb2_grpc, agent_pb2
    and agent_pb2_grpc.
    """
    global _loaded
    if _loaded is not None:
        return _loaded
    out_dir = tempfile.mkdtemp(prefix="agora-py-stubs-")
    atexit.register(shutil.rmtree, out_dir, True)
    _generate(proto_dir or _REPO_PROTO_DIR, out_dir)
    sys.path.insert(0, out_dir)
    import importlib
    modules = {}
    for name in _FILES:
        modules[name + "_pb2"] = importlib.import_module("agora.v1.%s_pb2" % name)
        modules[name + "_pb2_grpc"] = importlib.import_module("agora.v1.%s_pb2_grpc" % name)
    _loaded = types.SimpleNamespace(**modules)
    return _loaded
