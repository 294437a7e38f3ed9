"""The page's API keys panel in headless Chromium: make a key (its token shown once, then gone), use it, revoke it
(refused at once), and the last write key is kept with the service's reason; under the page's CSP, no script error."""

from __future__ import annotations

import requests

from tests.e2e.test_web_page import (  # noqa: F401  (browser is a fixture)
    active_id,
    api_user,
    browser,
    log_in,
    open_page,
)


def test_keys_are_made_copied_once_and_revoked(browser, local_stack):
    user = api_user(local_stack.url, "kim")
    page = open_page(browser, f"{local_stack.url}/")
    assert page.is_hidden("#keys-panel")
    log_in(page, user)

    page.click("#keys-details summary")
    page.wait_for_selector("#keys li:has-text('registration')")
    page.fill("#key-name", "backup")
    page.select_option("#key-scope", "read")
    page.click("#key-form button[type=submit]")
    page.wait_for_selector("#new-key:not(.hidden)")
    token = page.inner_text("#new-key-token")
    assert token.startswith("csk_") and active_id(page) == "new-key"
    page.wait_for_selector("#keys li:has-text('backup')")
    me = requests.get(f"{local_stack.url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert me.status_code == 200 and me.json()["id"] == user["id"]

    page.click("#key-done")
    assert page.is_hidden("#new-key") and page.inner_text("#new-key-token") == ""
    assert token not in page.content()

    page.click("#keys li:has-text('backup') button")  # confirm() is accepted
    page.wait_for_selector("#keys li:has-text('backup')", state="detached")
    gone = requests.get(f"{local_stack.url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert gone.status_code == 401

    page.click("#keys li:has-text('registration') button")  # the last write key stays, and the page says why
    page.wait_for_selector("#key-error:has-text('last key that can write')")
    assert page.is_visible("#keys li:has-text('registration')")
    assert page.errors == []
