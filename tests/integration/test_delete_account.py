"""DELETE /me: the account and everything it owns go — recordings and their objects, keys, hooks, usage — checked by
listing the bucket and both tables; another user's things stay; the id is never given out again."""

from __future__ import annotations

import json

from chalicelib import account_deletion, aws
from chalicelib.capabilities import hash_secret
from chalicelib.users import hash_token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def everything(stack) -> tuple[str, str]:
    """Every object key in the bucket, and every item of both tables, as text."""
    keys = [item["Key"] for item in aws.s3().list_objects_v2(Bucket=stack["CLOUDSOUND_BUCKET"]).get("Contents", [])]
    items = []
    for table in (stack["CLOUDSOUND_USERS_TABLE"], stack["CLOUDSOUND_RECORDINGS_TABLE"]):
        items += aws.table(table).scan(ConsistentRead=True)["Items"]
    return json.dumps(keys), json.dumps(items, default=str)


def test_deleting_an_account_leaves_nothing_of_it(client, api, alice, bob, stack, make_audio, monkeypatch):
    wav = make_audio(seconds=1, rate=8000).read_bytes()
    ready = api.upload(alice["token"], wav, name="public.wav")
    private = api.upload(alice["token"], wav, name="private.wav&visibility=private")
    theirs = api.upload(bob["token"], wav, name="bobs.wav")
    api.convert_pending()
    json_headers = {**bearer(alice["token"]), "Content-Type": "application/json"}
    slot = client.http.post("/recordings", body=json.dumps({"name": "slot.wav", "size": 100}), headers=json_headers)
    key = client.http.post("/me/keys", body=json.dumps({"name": "ci", "scope": "read"}), headers=json_headers)
    monkeypatch.setenv("CLOUDSOUND_WEBHOOKS_ALLOW_LOOPBACK", "1")
    hook = client.http.post(
        "/me/webhooks",
        headers=json_headers,
        body=json.dumps({"url": "http://127.0.0.1:9/h", "events": ["recording.deleted"]}),
    )
    share = client.http.post(f"/recordings/{private['id']}/shares", body="{}", headers=json_headers)
    feed = client.http.post("/me/feeds", body=json.dumps({"kind": "podcast"}), headers=json_headers)
    in_parts = client.http.post(
        "/recordings", body=json.dumps({"name": "master", "size": 100, "multipart": True}), headers=json_headers
    )
    assert slot.status_code == 201 and key.status_code == 201 and hook.status_code == 201
    assert share.status_code == 201 and feed.status_code == 201 and in_parts.status_code == 201
    share_secret = share.json_body["url"].rsplit("/", 1)[1]
    feed_secret = feed.json_body["url"].split("/feeds/")[1].split("/")[0]
    extended = []
    monkeypatch.setattr(account_deletion, "_REGISTERED", [extended.append])
    objects, items = everything(stack)
    assert ready["id"] in objects and private["id"] in objects and f"user#{alice['id']}" in items

    reader = key.json_body["token"]
    refused = client.http.delete("/me", headers=bearer(reader))
    assert refused.status_code == 403 and refused.json_body["error"]["code"] == "insufficient_scope"
    assert client.http.delete("/me", headers=bearer(alice["token"])).status_code == 204

    objects, items = everything(stack)
    for trace in (
        ready["id"],
        private["id"],
        slot.json_body["id"],
        in_parts.json_body["id"],
        f"user#{alice['id']}",
        f"feeds#{alice['id']}",
        hash_secret(share_secret),
        hash_secret(feed_secret),
        f"usage#{alice['id']}",
        f"hooks#{alice['id']}",
        hash_token(alice["token"]),
        hash_token(reader),
        '"alice"',
        hook.json_body["secret"],
    ):
        assert trace not in objects and trace not in items, trace
    assert extended == [alice["id"]]
    assert theirs["id"] in objects and f"user#{bob['id']}" in items
    assert client.http.get("/me", headers=bearer(alice["token"])).status_code == 401
    assert client.http.get("/me", headers=bearer(reader)).status_code == 401
    assert client.http.get(f"/users/{alice['id']}").status_code == 404
    assert client.http.get(f"/recordings/{theirs['id']}", headers=bearer(bob["token"])).status_code == 200
    again = client.http.post(
        "/users", body=json.dumps({"id": alice["id"]}), headers={"Content-Type": "application/json"}
    )
    assert again.status_code == 409  # the id is never given out again
    assert api.register(name="next")["id"] > bob["id"]
    # its hooks went first: deleting its recordings queued no delivery
    sqs = aws.sqs()
    queue = sqs.get_queue_url(QueueName=stack["CLOUDSOUND_WEBHOOKS_QUEUE"])["QueueUrl"]
    assert not sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages")
    uploads = aws.s3().list_multipart_uploads(Bucket=stack["CLOUDSOUND_BUCKET"]).get("Uploads", [])
    assert uploads == []  # the upload in parts was aborted, not left to the lifecycle rule
