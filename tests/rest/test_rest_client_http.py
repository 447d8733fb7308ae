"""The REST client against a fake Cloudflare served over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from lunora_workflow.rest import (
    NewInstance,
    RestartFrom,
    RetryPolicy,
    UnsupportedByDialectError,
    WorkflowsRestClient,
    WorkflowsRestError,
    create_async_workflows_rest_client,
    create_workflows_rest_client,
)

from .conftest import ACCOUNT, TOKEN, Sleeps
from .rest_fake_cloudflare import FakeCloudflare


@pytest.fixture
def client(server: str, policy: RetryPolicy) -> Iterator[WorkflowsRestClient]:
    with create_workflows_rest_client(
        ACCOUNT, TOKEN, base_url=f"{server}/client/v4", retry=policy
    ) as client:
        yield client


def test_list_workflows_reads_page_info_and_counts(
    client: WorkflowsRestClient, fake: FakeCloudflare
) -> None:
    page = client.list_workflows(per_page=2)
    assert [w.name for w in page.workflows] == ["order-pipeline", "orders"]
    assert page.workflows[0].class_name == "OrderPipelineWorkflow"
    assert page.workflows[0].instances == {"running": 4, "complete": 3, "errored": 1}
    assert (page.page, page.per_page, page.total_count, page.total_pages) == (1, 2, 3, 2)
    assert page.next_page == 2
    request = fake.requests[-1]
    assert request.path == f"/client/v4/accounts/{ACCOUNT}/workflows"
    assert request.query == [("per_page", "2")]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert [w.name for w in client.iter_workflows(per_page=2)] == [
        "order-pipeline",
        "orders",
        "channel-welcome",
    ]


def test_list_instances_follows_cursors(client: WorkflowsRestClient, fake: FakeCloudflare) -> None:
    first = client.list_instances("order-pipeline", per_page=3)
    assert [i.id for i in first.instances] == ["detailed", "inst-6", "inst-5"]
    assert first.next_cursor is not None
    assert first.has_more
    assert first.total_count == 8
    second = client.list_instances("order-pipeline", per_page=3, cursor=first.next_cursor)
    assert [i.id for i in second.instances] == ["inst-4", "inst-3", "inst-2"]
    assert ("cursor", first.next_cursor) in fake.requests[-1].query
    third = client.list_instances("order-pipeline", per_page=3, cursor=second.next_cursor)
    assert [i.id for i in third.instances] == ["inst-1", "inst-0"]
    assert third.next_cursor is None
    assert not third.has_more


def test_iter_instances_walks_every_page_and_honours_limit(
    client: WorkflowsRestClient, fake: FakeCloudflare
) -> None:
    ids = [i.id for i in client.iter_instances("order-pipeline", per_page=3)]
    assert len(ids) == 8
    assert len(set(ids)) == 8
    assert sum(1 for r in fake.requests if r.path.endswith("/instances")) == 3
    fake.requests.clear()
    limited = [i.id for i in client.iter_instances("order-pipeline", per_page=3, limit=4)]
    assert limited == ["detailed", "inst-6", "inst-5", "inst-4"]
    assert len(fake.requests) == 2  # never fetches a page it will not use


def test_list_instances_forwards_filters(client: WorkflowsRestClient, fake: FakeCloudflare) -> None:
    page = client.list_instances(
        "order-pipeline",
        status="complete",
        per_page=10,
        date_start=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        date_end="2026-11-21T00:00:00Z",
        direction="asc",
    )
    assert {i.status for i in page.instances} == {"complete"}
    assert [i.id for i in page.instances] == ["inst-1", "inst-3", "inst-5"]
    assert fake.requests[-1].query == [
        ("status", "complete"),
        ("per_page", "10"),
        ("date_start", "2026-11-20T10:00:00Z"),
        ("date_end", "2026-11-21T00:00:00Z"),
        ("direction", "asc"),
    ]
    row = page.instances[0]
    assert row.created_on == datetime(2026, 11, 20, 10, 1, tzinfo=UTC)
    assert row.ended_on is None  # "" from the API
    assert row.version_id == "ver-1"


def test_get_instance_normalizes_the_timeline(client: WorkflowsRestClient) -> None:
    detail = client.get_instance("order-pipeline", "detailed")
    assert detail.id == "detailed"
    assert detail.workflow_name == "order-pipeline"
    assert detail.status == "errored"
    assert detail.params == {"order_id": 7}
    assert detail.trigger_source == "api"
    assert detail.version_id == "ver-1"
    assert str(detail.error) == "NonRetryableError: address invalid"
    assert [e.type for e in detail.steps] == [
        "step",
        "sleep",
        "waitForEvent",
        "step",
        "termination",
    ]
    charge, sleep, wait, ship, term = detail.steps
    assert charge.name == "charge card-1"
    assert charge.attempt_count == 2
    assert [a.success for a in charge.attempts] == [False, True]
    assert charge.attempts[0].error is not None
    assert charge.attempts[0].error.message == "card declined"
    assert charge.duration == timedelta(seconds=3.5)
    assert charge.output == {"charged": 42}
    assert charge.config is not None
    assert charge.config.retries is not None
    assert charge.config.retries.limit == 5
    assert charge.config.retries.delay == "10 seconds"
    assert charge.state == "complete"
    assert sleep.finished is True
    assert sleep.attempt_count is None
    assert sleep.state == "complete"
    assert wait.end is None
    assert wait.event_type == "approved"
    assert wait.state == "waiting"
    assert ship.state == "errored"
    assert ship.last_error is not None
    assert ship.last_error.name == "NonRetryableError"
    assert ship.config is not None
    assert ship.config.retries is not None
    assert ship.config.retries.delay == 1000
    assert term.trigger_source == "api"
    assert term.name == ""
    assert term.state == "terminated"


def test_get_step_output(client: WorkflowsRestClient, fake: FakeCloudflare) -> None:
    out = client.get_step_output("order-pipeline", "detailed", "charge card-1")
    assert out.status == "complete"
    assert out.output == {"charged": 42}
    assert fake.requests[-1].path.endswith("/instances/detailed/step")
    assert fake.requests[-1].query == [("name", "charge card-1"), ("type", "step")]
    client.get_step_output(
        "order-pipeline", "detailed", "approval-1", type="waitForEvent", attempt=1
    )
    assert fake.requests[-1].query == [
        ("name", "approval-1"),
        ("type", "waitForEvent"),
        ("attempt", "1"),
    ]


@pytest.mark.parametrize(
    ("action", "kwargs", "body", "status"),
    [
        ("pause", {}, {"status": "pause"}, "paused"),
        ("resume", {}, {"status": "resume"}, "running"),
        ("terminate", {"rollback": True}, {"status": "terminate", "rollback": True}, "terminated"),
        (
            "restart",
            {"from_step": "ship order"},
            {"status": "restart", "from": {"name": "ship order"}},
            "queued",
        ),
        (
            "restart",
            {"from_step": RestartFrom("ship order", count=2, type="do")},
            {"status": "restart", "from": {"name": "ship order", "count": 2, "type": "do"}},
            "queued",
        ),
    ],
)
def test_set_instance_status(
    client: WorkflowsRestClient,
    fake: FakeCloudflare,
    action: str,
    kwargs: dict[str, object],
    body: object,
    status: str,
) -> None:
    change = client.set_instance_status("order-pipeline", "inst-0", action, **kwargs)  # type: ignore[arg-type]
    assert change.status == status
    assert change.timestamp == datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    request = fake.requests[-1]
    assert (request.method, request.path) == (
        "PATCH",
        f"/client/v4/accounts/{ACCOUNT}/workflows/order-pipeline/instances/inst-0/status",
    )
    assert request.body == body


def test_send_event_posts_the_payload(client: WorkflowsRestClient, fake: FakeCloudflare) -> None:
    client.send_event("order-pipeline", "inst-0", "approved", {"by": "ada"})
    client.send_event("order-pipeline", "inst-0", "nudge")
    instance = next(i for i in fake.instances["order-pipeline"] if i.id == "inst-0")
    assert instance.events == [("approved", {"by": "ada"}), ("nudge", {})]
    assert fake.requests[-1].path.endswith("/instances/inst-0/events/nudge")


def test_create_instance_and_batch(client: WorkflowsRestClient, fake: FakeCloudflare) -> None:
    created = client.create_instance("orders", params={"cart": [1, 2]}, instance_id="order-1")
    assert (created.id, created.status, created.version_id) == ("order-1", "queued", "ver-1")
    assert fake.requests[-1].body == {"instance_id": "order-1", "params": {"cart": [1, 2]}}
    generated = client.create_instance("orders", retention={"success_retention": "1 day"})
    assert generated.id.startswith("gen-")
    assert fake.requests[-1].body == {"instance_retention": {"success_retention": "1 day"}}
    batch = client.create_instances_batch(
        "orders",
        [NewInstance(params={"n": 1}, id="b-1"), {"params": {"n": 2}, "instance_id": "b-2"}],
    )
    assert [b.id for b in batch] == ["b-1", "b-2"]
    assert fake.requests[-1].path.endswith("/workflows/orders/instances/batch")
    assert fake.requests[-1].body == [
        {"instance_id": "b-1", "params": {"n": 1}},
        {"instance_id": "b-2", "params": {"n": 2}},
    ]
    with pytest.raises(WorkflowsRestError) as conflict:
        client.create_instance("orders", instance_id="order-1")
    assert conflict.value.status == 409
    assert conflict.value.codes == [10103]


def test_names_are_percent_encoded(client: WorkflowsRestClient, fake: FakeCloudflare) -> None:
    with pytest.raises(WorkflowsRestError):
        client.list_instances("order pipeline/x")
    assert (
        fake.requests[-1].path
        == f"/client/v4/accounts/{ACCOUNT}/workflows/order%20pipeline%2Fx/instances"
    )


def test_403_carries_cloudflare_codes_and_is_not_retried(
    server: str, fake: FakeCloudflare, sleeps: Sleeps, policy: RetryPolicy
) -> None:
    bad = create_workflows_rest_client(
        ACCOUNT, "wrong-token", base_url=f"{server}/client/v4", retry=policy
    )
    with bad, pytest.raises(WorkflowsRestError) as caught:
        bad.list_workflows()
    error = caught.value
    assert error.status == 403
    assert error.codes == [10000]
    assert error.messages == ["Authentication error"]
    assert "returned 403" in str(error)
    assert "[10000] Authentication error" in str(error)
    assert len(fake.requests) == 1
    assert sleeps == []


def test_404_unknown_instance(client: WorkflowsRestClient) -> None:
    with pytest.raises(WorkflowsRestError) as caught:
        client.get_instance("order-pipeline", "nope")
    assert caught.value.status == 404
    assert caught.value.codes == [10101]
    assert "instance.not_found" in str(caught.value)


def test_429_with_retry_after_is_retried(
    client: WorkflowsRestClient, fake: FakeCloudflare, sleeps: Sleeps
) -> None:
    fake.fail_next(429, headers={"Retry-After": "7"})
    page = client.list_workflows()
    assert len(page.workflows) == 3
    assert sleeps == [7.0]
    assert len(fake.requests) == 2


def test_5xx_is_retried_up_to_the_limit(
    client: WorkflowsRestClient, fake: FakeCloudflare, sleeps: Sleeps
) -> None:
    fake.fail_next(503, times=10)
    with pytest.raises(WorkflowsRestError) as caught:
        client.get_instance("order-pipeline", "detailed")
    assert caught.value.status == 503
    assert caught.value.attempts == 4
    assert "after 4 attempts" in str(caught.value)
    assert len(fake.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]  # exponential; rand()=1.0 pins the jitter to the ceiling


def test_5xx_then_success(
    client: WorkflowsRestClient, fake: FakeCloudflare, sleeps: Sleeps
) -> None:
    fake.fail_next(502, times=2)
    assert client.get_instance("order-pipeline", "detailed").status == "errored"
    assert len(sleeps) == 2


async def test_async_client_mirrors_the_sync_one(
    server: str, fake: FakeCloudflare, policy: RetryPolicy, sleeps: Sleeps
) -> None:
    async with create_async_workflows_rest_client(
        ACCOUNT, TOKEN, base_url=f"{server}/client/v4", retry=policy
    ) as client:
        fake.fail_next(429, headers={"Retry-After": "3"})
        ids = [i.id async for i in client.iter_instances("order-pipeline", per_page=5)]
        assert len(ids) == 8
        assert sleeps == [3.0]
        detail = await client.get_instance("order-pipeline", "detailed")
        assert detail.steps[0].attempt_count == 2
        change = await client.set_instance_status("order-pipeline", "inst-1", "pause")
        assert change.status == "paused"
        created = await client.create_instance("orders", params={"x": 1})
        assert created.status == "queued"
        await client.send_event("order-pipeline", "inst-1", "approved", {"ok": True})
        assert [w.name async for w in client.iter_workflows(per_page=1)] == [
            "order-pipeline",
            "orders",
            "channel-welcome",
        ]
        with pytest.raises(WorkflowsRestError) as caught:
            await client.get_instance("order-pipeline", "missing")
        assert caught.value.status == 404


# -- wrangler dev's local explorer dialect --------------------------------------------------


@pytest.fixture
def local_client(local_server: str, policy: RetryPolicy) -> Iterator[WorkflowsRestClient]:
    with create_workflows_rest_client(
        dialect="local", base_url=f"{local_server}/cdn-cgi/explorer/api", retry=policy
    ) as client:
        yield client


def test_local_dialect_lists_with_page_numbers(
    local_client: WorkflowsRestClient, local_fake: FakeCloudflare
) -> None:
    workflows = local_client.list_workflows()
    assert [w.name for w in workflows.workflows] == ["order-pipeline", "orders", "channel-welcome"]
    first = local_client.list_instances("order-pipeline", per_page=3)
    assert first.next_cursor == "lunora-page:2"
    ids = [i.id for i in local_client.iter_instances("order-pipeline", per_page=3)]
    assert len(ids) == 8
    assert len(set(ids)) == 8
    pages = [
        dict(r.query).get("page") for r in local_fake.requests if r.path.endswith("/instances")
    ]
    assert pages == [None, None, "2", "3"]
    assert all("authorization" not in r.headers for r in local_fake.requests)


def test_local_dialect_bodies(
    local_client: WorkflowsRestClient, local_fake: FakeCloudflare
) -> None:
    created = local_client.create_instance("orders", params={"a": 1}, instance_id="loc-1")
    assert created.id == "loc-1"
    assert created.status is None
    assert local_fake.requests[-1].path == "/cdn-cgi/explorer/api/workflows/orders/instances"
    assert local_fake.requests[-1].body == {"id": "loc-1", "params": {"a": 1}}
    change = local_client.set_instance_status("orders", "loc-1", "terminate")
    assert change.status is None
    assert local_fake.requests[-1].body == {"action": "terminate"}
    local_client.send_event("orders", "loc-1", "approved", {"by": "ada"})
    assert local_fake.instances["orders"][0].events == [("approved", {"by": "ada"})]
    batch = local_client.create_instances_batch("orders", [{"id": "loc-2"}, {"id": "loc-3"}])
    assert [b.id for b in batch] == ["loc-2", "loc-3"]
    detail = local_client.get_instance("order-pipeline", "detailed")
    assert detail.steps[0].attempt_count == 2
    assert detail.trigger_source is None


def test_local_dialect_refuses_what_wrangler_dev_lacks(
    local_client: WorkflowsRestClient, local_fake: FakeCloudflare
) -> None:
    calls: list[Callable[[], object]] = [
        lambda: local_client.get_step_output("order-pipeline", "detailed", "charge card-1"),
        lambda: local_client.set_instance_status("orders", "x", "terminate", rollback=True),
        lambda: local_client.set_instance_status("orders", "x", "restart", from_step="a"),
        lambda: local_client.create_instance("orders", retention={"success_retention": "1 day"}),
        lambda: local_client.list_instances("orders", direction="asc"),
    ]
    for call in calls:
        with pytest.raises(UnsupportedByDialectError, match="local explorer"):
            call()
    assert local_fake.requests == []
