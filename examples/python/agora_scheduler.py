"""A small Agora scheduler client in Python, straight on the gRPC API.

`SchedulerClient` is what a Python framework needs and nothing more: it opens
the `Scheduler.Subscribe` stream, reads events on a background thread into a
queue, and wraps every command with the `CallHeader` (framework id + stream
id) from SUBSCRIBED. It does not acknowledge or retry by itself: the caller
decides (see `hello_framework.py` for the full loop). Every wait takes a
deadline; nothing sleeps.

Threading: one reader thread per subscription puts events on `events`; all
other methods are called from the caller's thread.

Errors come back as `grpc.RpcError`; `field_violation(error)` decodes the
`agora.v1.FieldViolation` carried in the status details
(grpc-status-details-bin holds an `agora.v1.RpcStatus`, wire-compatible with
google.rpc.Status), so a caller can point at the bad field.
"""

import getpass
import queue
import threading
import time

import grpc

import agora_proto

api = agora_proto.load()
common_pb2 = api.common_pb2
scheduler_pb2 = api.scheduler_pb2
Event = scheduler_pb2.Event

FIELD_VIOLATION_URL = "type.googleapis.com/agora.v1.FieldViolation"


def rpc_status(error):
    """The agora.v1.RpcStatus in an RpcError's trailers, or None."""
    for key, value in (error.trailing_metadata() or ()):
        if key == "grpc-status-details-bin":
            return common_pb2.RpcStatus.FromString(value)
    return None


def field_violation(error):
    """The agora.v1.FieldViolation carried by an INVALID_ARGUMENT, or None."""
    status = rpc_status(error)
    if status is None:
        return None
    for detail in status.details:
        if detail.type_url == FIELD_VIOLATION_URL:
            return common_pb2.FieldViolation.FromString(detail.value)
    return None


class StreamEnded(Exception):
    """The subscription stream closed (teardown, failover, error)."""


class SchedulerClient:
    """One framework subscription to one master (`host:port`)."""

    def __init__(self, master, framework_info, suppressed_roles=(), call_timeout=10.0):
        self.channel = grpc.insecure_channel(master)
        self.stub = api.scheduler_pb2_grpc.SchedulerStub(self.channel)
        self.call_timeout = call_timeout
        self.events = queue.Queue()
        self.framework_id = None
        self.stream_id = None
        self.stream_error = None  # grpc.RpcError that ended the stream, if any
        request = scheduler_pb2.SubscribeRequest(framework_info=framework_info)
        request.suppressed_roles.extend(suppressed_roles)
        self._stream = self.stub.Subscribe(request)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        try:
            for event in self._stream:
                self.events.put(event)
        except grpc.RpcError as error:
            self.stream_error = error
        self.events.put(None)  # end of stream

    # --- Events -----------------------------------------------------------

    def next_event(self, timeout):
        """The next event (HEARTBEATs included); raises StreamEnded at the end
        of the stream and queue.Empty after `timeout` seconds."""
        event = self.events.get(timeout=timeout)
        if event is None:
            self.events.put(None)  # stay ended for later callers
            raise StreamEnded(self.stream_error)
        return event

    def wait_for(self, predicate, timeout, on_event=None):
        """Reads events until `predicate(event)` holds and returns that event.

        `on_event(event)` sees every event read on the way (the matching one
        included), e.g. to acknowledge updates. Raises TimeoutError after
        `timeout` seconds, StreamEnded if the stream closes first.

        `predicate` sees only events read from now on: to wait for a state
        that events read earlier may already have produced, check it first
        (otherwise the wait lasts until the next event, perhaps a heartbeat).
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no matching event within %.1f s" % timeout)
            try:
                event = self.next_event(remaining)
            except queue.Empty:
                continue
            if on_event is not None:
                on_event(event)
            if predicate(event):
                return event

    def subscribed(self, timeout=10.0):
        """Waits for SUBSCRIBED and remembers the framework and stream ids."""
        event = self.wait_for(lambda e: e.type == Event.SUBSCRIBED, timeout)
        self.framework_id = event.subscribed.framework_id.value
        self.stream_id = event.subscribed.stream_id
        return event.subscribed

    # --- Commands ---------------------------------------------------------

    def header(self):
        return scheduler_pb2.CallHeader(
            framework_id=common_pb2.FrameworkID(value=self.framework_id),
            stream_id=self.stream_id)

    def call(self, method, request):
        """Sends `request` (its header filled in unless already set) to
        Scheduler.`method`; raises grpc.RpcError on a non-OK status."""
        if not request.HasField("header"):
            request.header.CopyFrom(self.header())
        return getattr(self.stub, method)(request, timeout=self.call_timeout)

    def accept(self, offer_ids, task_infos, refuse_seconds=0.0):
        request = scheduler_pb2.AcceptRequest(
            offer_ids=[common_pb2.OfferID(value=o) for o in offer_ids],
            filters=common_pb2.Filters(refuse_seconds=refuse_seconds))
        operation = request.operations.add(type=common_pb2.Offer.Operation.LAUNCH)
        operation.launch.task_infos.extend(task_infos)
        return self.call("Accept", request)

    def decline(self, offer_ids, refuse_seconds=0.0):
        return self.call("Decline", scheduler_pb2.DeclineRequest(
            offer_ids=[common_pb2.OfferID(value=o) for o in offer_ids],
            filters=common_pb2.Filters(refuse_seconds=refuse_seconds)))

    def revive(self, roles=()):
        return self.call("Revive", scheduler_pb2.ReviveRequest(roles=list(roles)))

    def suppress(self, roles=()):
        return self.call("Suppress", scheduler_pb2.SuppressRequest(roles=list(roles)))

    def acknowledge(self, status):
        """Acknowledges one TaskStatus (only those with a uuid need it)."""
        return self.call("Acknowledge", scheduler_pb2.AcknowledgeRequest(
            agent_id=status.agent_id, task_id=status.task_id, uuid=status.uuid))

    def reconcile(self, tasks=()):
        """`tasks`: (task_id, agent_id) pairs; empty = implicit reconciliation."""
        request = scheduler_pb2.ReconcileRequest()
        for task_id, agent_id in tasks:
            request.tasks.add(task_id=common_pb2.TaskID(value=task_id),
                              agent_id=common_pb2.AgentID(value=agent_id))
        return self.call("Reconcile", request)

    def kill(self, task_id, agent_id=""):
        request = scheduler_pb2.KillRequest(task_id=common_pb2.TaskID(value=task_id))
        if agent_id:
            request.agent_id.value = agent_id
        return self.call("Kill", request)

    def teardown(self):
        return self.call("Teardown", scheduler_pb2.TeardownRequest())

    def close(self):
        self._stream.cancel()
        self._reader.join(timeout=10)
        self.channel.close()


def framework_info(name, roles=("*",), user=None):
    """A FrameworkInfo for a new framework; tasks run as `user` (default: the
    user running this process)."""
    return common_pb2.FrameworkInfo(name=name, user=user or getpass.getuser(),
                                    roles=list(roles))


def command_task(task_id, command, cpus=0.1, mem=16.0):
    """A TaskInfo that runs `command` with /bin/sh under the built-in command
    executor, using `cpus` and `mem` (MiB)."""
    task = common_pb2.TaskInfo(name=task_id, task_id=common_pb2.TaskID(value=task_id),
                               command=common_pb2.CommandInfo(shell=True, value=command))
    task.resources.add(name="cpus", type=common_pb2.Resource.SCALAR, scalar=cpus)
    task.resources.add(name="mem", type=common_pb2.Resource.SCALAR, scalar=mem)
    return task
