"""A process's AWS clients: one session for all of them, one client per service, created one at a time."""

import threading

import boto3
import pytest

from shared import aws


@pytest.fixture(autouse=True)
def fresh_clients():
    aws.reset_clients()
    yield
    aws.reset_clients()


def test_every_client_of_a_process_comes_from_one_session(monkeypatch):
    # given a count of the sessions created
    created: list[boto3.session.Session] = []
    original_init = boto3.session.Session.__init__

    def counting_init(self, *args, **kwargs):
        created.append(self)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(boto3.session.Session, "__init__", counting_init)
    # when clients of three services are asked for, one of them twice
    queue = aws.sqs()
    table = aws.dynamodb()
    bus = aws.events()
    # then one session made them all, and a service's client is reused
    assert len(created) == 1
    assert aws.sqs() is queue
    services = [client.meta.service_model.service_name for client in (queue, table, bus)]
    assert services == ["sqs", "dynamodb", "events"]


def test_a_client_asked_for_while_another_is_being_created_waits_for_it(monkeypatch):
    # given a session whose sqs client creation lets a second thread ask for a dynamodb client meanwhile
    original_client = boto3.session.Session.client
    in_flight: list[str] = []
    overlaps: list[list[str]] = []
    second_entered = threading.Event()
    second = threading.Thread(target=aws.dynamodb)

    def watched_client(self, service_name, *args, **kwargs):
        in_flight.append(service_name)
        overlaps.append(list(in_flight))
        try:
            if service_name == "sqs":
                second.start()
                # Without a lock the second creation runs now; with one it cannot start before this ends.
                second_entered.wait(0.3)
            else:
                second_entered.set()
            return original_client(self, service_name, *args, **kwargs)
        finally:
            in_flight.remove(service_name)

    monkeypatch.setattr(boto3.session.Session, "client", watched_client)
    # when
    aws.sqs()
    second.join(10)
    # then the two creations never overlapped, and both clients exist
    assert overlaps == [["sqs"], ["dynamodb"]]
    assert aws.dynamodb().meta.service_model.service_name == "dynamodb"
