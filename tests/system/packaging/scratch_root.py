"""Debian packages of this build, extracted into a scratch root, and the
daemons started from their installed systemd units.

`build_packages` runs `cpack -G DEB` on the build tree and `extract`
unpacks every package with `dpkg-deb -x`. `UnitCommand` reads a unit's
ExecStart as systemd would run it: the EnvironmentFile (the package's
/etc/default file) applied, `$VAR` split on whitespace, `${VAR}` kept whole;
then absolute paths are mapped into the scratch root and the default ports
replaced by free ones. `ScratchCluster` starts agora-master and agora-agent
that way and waits, with deadlines, until the agent is registered.
"""

import glob
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time

DEB_NAMES = ("agora-master", "agora-agent", "agora-cli", "libagora-dev")
# Ports the packaged /etc/default files name: master gRPC and HTTP, agent
# gRPC and HTTP.
DEFAULT_PORTS = (5050, 5055, 5051, 5056)


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


def build_packages(build_dir, out_dir):
    """Runs cpack on `build_dir` into `out_dir`; returns {package name: .deb path}."""
    os.makedirs(out_dir, exist_ok=True)
    for old in glob.glob(os.path.join(out_dir, "*.deb")):
        os.remove(old)
    subprocess.run(["cpack", "-G", "DEB", "--config", os.path.join(build_dir, "CPackConfig.cmake"),
                    "-B", out_dir], check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    debs = {}
    for path in glob.glob(os.path.join(out_dir, "*.deb")):
        debs[control_fields(path)["Package"]] = path
    return debs


def control_fields(deb):
    """The control file of `deb` as a dict (continuation lines joined)."""
    text = subprocess.run(["dpkg-deb", "-f", deb], check=True, capture_output=True,
                          text=True).stdout
    fields, key = {}, None
    for line in text.splitlines():
        if line.startswith(" ") and key:
            fields[key] += "\n" + line[1:]
        elif ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    return fields


def control_member(deb, name):
    """A file of the control archive (conffiles, postinst, ...), or None."""
    result = subprocess.run(["dpkg-deb", "-I", deb, name], capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else None


def extract(debs, root):
    for deb in debs.values():
        subprocess.run(["dpkg-deb", "-x", deb, root], check=True)


def parse_unit(path):
    """[Service] (and other sections') key -> list of values, in file order."""
    values = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;[":
                continue
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def parse_environment_file(path):
    """KEY=value lines as systemd reads them (quotes stripped, # comments)."""
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, value = line.split("=", 1)
            env[key.strip()] = " ".join(shlex.split(value))
    return env


class UnitCommand:
    """The argv a unit's ExecStart runs, mapped into a scratch root."""

    def __init__(self, root, unit_name, port_map):
        self.root = root
        self.unit = parse_unit(os.path.join(root, "lib/systemd/system", unit_name))
        env = {}
        for env_file in self.unit.get("EnvironmentFile", []):
            env.update(parse_environment_file(self.path(env_file.lstrip("-"))))
        self.environment = env
        argv = []
        for word in self.unit["ExecStart"][0].split():
            whole = re.fullmatch(r"\$\{(\w+)\}", word)
            split = re.fullmatch(r"\$(\w+)", word)
            if whole:
                argv.append(env.get(whole.group(1), ""))
            elif split:
                argv.extend(env.get(split.group(1), "").split())
            else:
                argv.append(word)
        self.argv = [self._map(arg, port_map) for arg in argv]

    def path(self, absolute):
        return os.path.join(self.root, absolute.lstrip("/"))

    def _map(self, arg, port_map):
        arg = re.sub(r"(^|=)(/(?:usr|var|etc|lib)/\S*)",
                     lambda m: m.group(1) + self.path(m.group(2)), arg)
        for default, port in port_map.items():
            arg = re.sub(r"(?<=[=:])%d\b" % default, str(port), arg)
        return arg

    def state_directories(self):
        return [self.path("/var/lib/" + d) for d in self.unit.get("StateDirectory", [])]


class ScratchCluster:
    """agora-master and agora-agent from the units installed under `root`."""

    def __init__(self, root, log_dir):
        self.root = root
        self.log_dir = log_dir
        self.port_map = {default: free_port() for default in DEFAULT_PORTS}
        self.master = "127.0.0.1:%d" % self.port_map[5050]
        self.cli = os.path.join(root, "usr/bin/agora")
        self.processes = []

    def start(self, timeout=30.0):
        for unit, name in (("agora-master.service", "master"), ("agora-agent.service", "agent")):
            command = UnitCommand(self.root, unit, self.port_map)
            # As on a fresh install: empty state directories (systemd
            # creates them from StateDirectory=).
            for directory in command.state_directories():
                shutil.rmtree(directory, ignore_errors=True)
                os.makedirs(directory)
            log = open(os.path.join(self.log_dir, name + ".log"), "wb")
            self.processes.append((name, subprocess.Popen(
                command.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)))
            log.close()
        wait_until(lambda: self._check_running() or self.agent_count() == 1, timeout,
                   "the agent to register with the master")
        return self

    def agora(self, *args, timeout=60):
        return subprocess.run([self.cli, *args, "--master", self.master], capture_output=True,
                              text=True, timeout=timeout)

    def agent_count(self):
        result = self.agora("agents", "--json", timeout=10)
        # One "hostname" per agent, whatever the shape around it (as
        # scripts/local-cluster counts them).
        return result.stdout.count('"hostname"') if result.returncode == 0 else 0

    def log(self, name):
        with open(os.path.join(self.log_dir, name + ".log"), errors="replace") as f:
            return f.read()

    def _check_running(self):
        for name, process in self.processes:
            if process.poll() is not None:
                raise RuntimeError("%s exited with %s at start-up; log tail:\n%s" %
                                   (name, process.returncode, self.log(name)[-3000:]))

    def stop(self):
        # The agent first, with its tasks (SIGUSR1), then the master.
        for name, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGUSR1 if name == "agent" else signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
