#!/usr/bin/python3
"""hello_framework: a complete Agora framework in ~150 lines of Python.

Runs `--tasks` command tasks (no executor of its own: the agent's built-in
command executor runs them), then shows the rest of the scheduler API on one
long-running task: explicit and implicit reconciliation, decline with a
filter and revive, kill, and teardown. Every update that carries a uuid is
acknowledged; master-generated ones (reconciliation, TASK_ERROR,
TASK_DROPPED) carry none and need none.

    /usr/bin/python3 examples/python/hello_framework.py --master 127.0.0.1:5050

Exit status 0 when every step saw the expected outcome. See
docs/framework-guide.md ("Python").
"""

import argparse
import sys

from agora_scheduler import (Event, SchedulerClient, command_task, common_pb2,
                             framework_info)

TERMINAL = {common_pb2.TASK_FINISHED, common_pb2.TASK_FAILED, common_pb2.TASK_KILLED,
            common_pb2.TASK_ERROR, common_pb2.TASK_DROPPED, common_pb2.TASK_GONE,
            common_pb2.TASK_GONE_BY_OPERATOR, common_pb2.TASK_UNKNOWN}


def state_name(state):
    return common_pb2.TaskState.Name(state)


class HelloFramework:
    def __init__(self, master, name, timeout):
        self.client = SchedulerClient(master, framework_info(name))
        self.timeout = timeout
        self.states = {}  # task id -> latest TaskState
        self.agent_of = {}  # task id -> agent id
        self.offers = []  # outstanding offers, newest last

    def on_event(self, event):
        """Book-keeping for every event: acknowledge updates, keep offers."""
        if event.type == Event.UPDATE:
            status = event.update.status
            self.states[status.task_id.value] = status.state
            self.agent_of[status.task_id.value] = status.agent_id.value
            print("update %s %s %s" % (status.task_id.value, state_name(status.state),
                                       status.message))
            if status.uuid:
                self.client.acknowledge(status)
        elif event.type == Event.OFFERS:
            self.offers.extend(event.offers.offers)
        elif event.type == Event.RESCIND:
            self.offers = [o for o in self.offers if o.id.value != event.rescind.offer_id.value]
        elif event.type == Event.ERROR:
            print("error event: %s" % event.error.message, file=sys.stderr)

    def wait(self, condition, what):
        """Reads events (book-keeping each) until `condition()` holds; it
        may hold already, from events read earlier."""
        if condition():
            return
        try:
            self.client.wait_for(lambda event: condition(), self.timeout, self.on_event)
        except TimeoutError:
            raise SystemExit("timed out waiting for %s" % what)

    def take_offer(self):
        self.wait(lambda: bool(self.offers), "an offer")
        return self.offers.pop()

    def wait_task(self, task_id, states):
        self.wait(lambda: self.states.get(task_id) in states,
                  "task %s to reach %s" % (task_id, "/".join(map(state_name, states))))

    def run(self, tasks, command):
        subscribed = self.client.subscribed(self.timeout)
        print("subscribed framework_id=%s master=%s" % (subscribed.framework_id.value,
                                                       subscribed.master_address))
        # 1. Launch the batch on the first offer, plus one long-running task.
        offer = self.take_offer()
        batch = ["hello-%d" % i for i in range(tasks)]
        infos = [command_task(t, command) for t in batch]
        infos.append(command_task("sleeper", "sleep 300"))
        # Unused resources come back after 0.1 s (the default filter is 5 s).
        self.client.accept([offer.id.value], infos, refuse_seconds=0.1)
        for task_id in batch:
            self.wait_task(task_id, TERMINAL)
        self.wait_task("sleeper", {common_pb2.TASK_RUNNING})
        failed = [t for t in batch if self.states[t] != common_pb2.TASK_FINISHED]

        # 2. Reconcile: explicitly (one task) and implicitly (all of them).
        self.states.pop("sleeper")
        self.client.reconcile([("sleeper", self.agent_of.get("sleeper", ""))])
        self.wait_task("sleeper", {common_pb2.TASK_RUNNING})
        self.states.pop("sleeper")
        self.client.reconcile()
        self.wait_task("sleeper", {common_pb2.TASK_RUNNING})

        # 3. Decline every offer held for an hour, then revive: offers come
        # back at once.
        self.wait(lambda: bool(self.offers), "an offer")
        declined = [o.id.value for o in self.offers]
        self.offers = []
        self.client.decline(declined, refuse_seconds=3600)
        self.client.revive()
        self.take_offer()

        # 4. Kill the long-running task, then tear the framework down.
        self.client.kill("sleeper", self.agent_of["sleeper"])
        self.wait_task("sleeper", {common_pb2.TASK_KILLED})
        self.client.teardown()
        self.client.close()
        if failed:
            print("tasks that did not finish: %s" % ", ".join(failed), file=sys.stderr)
            return 1
        print("done: %d tasks finished, sleeper killed, framework torn down" % tasks)
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--master", default="127.0.0.1:5050", help="leading master host:port")
    parser.add_argument("--name", default="hello-python")
    parser.add_argument("--tasks", type=int, default=3)
    parser.add_argument("--command", default="echo hello")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for each step")
    args = parser.parse_args()
    return HelloFramework(args.master, args.name, args.timeout).run(args.tasks, args.command)


if __name__ == "__main__":
    sys.exit(main())
