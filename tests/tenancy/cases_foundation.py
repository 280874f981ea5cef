from __future__ import annotations

from tests.tenancy.matrix import Case, expect

STAFF_ONLY_WEB = expect(404, anonymous=302, engineer=200, manager=200, admin=200)
CUSTOMER_ONLY_WEB = expect(404, anonymous=302, customer_a=200, customer_admin_a=200, customer_b=200)
ANY_USER_WEB = expect(200, anonymous=302)
EVERYONE = expect(200)
ANY_USER_API = expect(200, anonymous=401)

CASES = [
    # --- pages -----------------------------------------------------------------------------
    Case("home", "GET", lambda w: "/", expect(302), api=False),
    Case("healthz", "GET", lambda w: "/healthz", EVERYONE, api=False),
    # 503 without a worker heartbeat in the test database: that is the point of readyz
    Case("readyz", "GET", lambda w: "/readyz", expect(503), api=False),
    Case("accounts:login", "GET", lambda w: "/accounts/login/", EVERYONE, api=False),
    Case("accounts:login_totp", "GET", lambda w: "/accounts/login/totp/", expect(302), api=False),
    Case("accounts:logout", "POST", lambda w: "/accounts/logout/", expect(302), api=False),
    Case("accounts:account", "GET", lambda w: "/accounts/me/", ANY_USER_WEB, api=False),
    Case("accounts:totp_setup", "GET", lambda w: "/accounts/me/totp/", ANY_USER_WEB, api=False),
    Case("accounts:password_reset", "GET", lambda w: "/accounts/password/reset/", EVERYONE, api=False),
    Case("accounts:password_reset_done", "GET", lambda w: "/accounts/password/reset/sent/", EVERYONE, api=False),
    Case("accounts:password_reset_confirm", "GET", lambda w: "/accounts/password/reset/MQ/bad-token/", EVERYONE, api=False),
    Case("staff:dashboard", "GET", lambda w: "/staff/", STAFF_ONLY_WEB, api=False),
    Case("portal:home", "GET", lambda w: "/portal/", CUSTOMER_ONLY_WEB, api=False),
    # --- API: schema and auth ------------------------------------------------------------------
    Case("api-v1:schema", "GET", lambda w: "/api/v1/schema/?format=json", EVERYONE),
    Case("api-v1:docs", "GET", lambda w: "/api/v1/docs/", EVERYONE, api=False),
    Case("api-v1:auth-token", "POST", lambda w: "/api/v1/auth/token", expect(401),
         body=lambda w: {"username": "nobody", "password": "wrong-password"}),
    Case("api-v1:token-list", "GET", lambda w: "/api/v1/tokens", ANY_USER_API),
    Case("api-v1:token-list", "POST", lambda w: "/api/v1/tokens", expect(201, anonymous=401),
         body=lambda w: {"name": "ci", "scope": "read"}),
    # another user's token is not found: tokens are personal
    Case("api-v1:token-detail", "DELETE", lambda w: f"/api/v1/tokens/{w.extra['token_of_a']}",
         expect(404, anonymous=401, customer_a=204)),
    # --- API: organisations and contacts -------------------------------------------------------
    Case("api-v1:organisation-list", "GET", lambda w: "/api/v1/organisations", ANY_USER_API,
         check=lambda w, p, r: _only_own_org(w, p, r)),
    Case("api-v1:organisation-detail", "GET", lambda w: f"/api/v1/organisations/{w.org_a.public_id}",
         expect(200, anonymous=401, customer_b=404)),
    Case("api-v1:organisation-detail", "GET", lambda w: f"/api/v1/organisations/{w.org_b.public_id}",
         expect(200, anonymous=401, customer_a=404, customer_admin_a=404), name="other org"),
    Case("api-v1:contact-list", "GET", lambda w: "/api/v1/contacts", ANY_USER_API,
         check=lambda w, p, r: _only_own_org(w, p, r, field="organisation")),
    Case("api-v1:contact-list", "POST", lambda w: "/api/v1/contacts",
         expect(403, anonymous=401, customer_b=404, customer_admin_a=201, manager=201, admin=201),
         body=lambda w: {"organisation": w.org_a.public_id, "name": "新联系人", "phone": "13912345678"}),
    Case("api-v1:contact-detail", "GET", lambda w: f"/api/v1/contacts/{w.contact_a.public_id}",
         expect(200, anonymous=401, customer_b=404)),
    Case("api-v1:contact-detail", "PATCH", lambda w: f"/api/v1/contacts/{w.contact_a.public_id}",
         expect(403, anonymous=401, customer_b=404, customer_admin_a=200, manager=200, admin=200),
         body=lambda w: {"position": "科长"}),
    Case("api-v1:contact-detail", "DELETE", lambda w: f"/api/v1/contacts/{w.contact_b.public_id}",
         expect(403, anonymous=401, customer_a=404, customer_admin_a=404, manager=204, admin=204)),
    # --- API: contracts, systems, entitlement --------------------------------------------------
    Case("api-v1:contract-list", "GET", lambda w: "/api/v1/contracts", ANY_USER_API,
         check=lambda w, p, r: _contracts_visible(w, p, r)),
    Case("api-v1:contract-list", "POST", lambda w: "/api/v1/contracts", expect(403, anonymous=401, admin=201),
         body=lambda w: {"organisation": w.org_a.public_id, "number": "WB-NEW-1", "title": "新合同",
                         "start_date": "2026-01-01", "end_date": "2026-12-31"}),
    Case("api-v1:contract-detail", "GET", lambda w: f"/api/v1/contracts/{w.contract_a.public_id}",
         expect(200, anonymous=401, customer_a=404, customer_b=404)),
    Case("api-v1:contract-detail", "PATCH", lambda w: f"/api/v1/contracts/{w.contract_b.public_id}",
         expect(403, anonymous=401, customer_a=404, customer_admin_a=404, customer_b=404, admin=200),
         body=lambda w: {"notes": "续签"}),
    Case("api-v1:system-list", "GET", lambda w: "/api/v1/systems", ANY_USER_API,
         check=lambda w, p, r: _only_own_org(w, p, r, field="organisation")),
    Case("api-v1:system-list", "POST", lambda w: "/api/v1/systems", expect(403, anonymous=401, manager=201, admin=201),
         body=lambda w: {"organisation": w.org_a.public_id, "name": "新系统", "code": "new-sys"}),
    Case("api-v1:system-detail", "GET", lambda w: f"/api/v1/systems/{w.system_a.public_id}",
         expect(200, anonymous=401, customer_b=404)),
    Case("api-v1:system-detail", "PATCH", lambda w: f"/api/v1/systems/{w.system_a.public_id}",
         expect(403, anonymous=401, customer_b=404, manager=200, admin=200), body=lambda w: {"version": "1.1"}),
    Case("api-v1:system-entitlement", "GET", lambda w: f"/api/v1/systems/{w.system_b.public_id}/entitlement",
         expect(200, anonymous=401, customer_a=404, customer_admin_a=404)),
]


def _results(response: object) -> list[dict[str, object]]:
    data = response.json()  # type: ignore[attr-defined]
    return data["results"] if isinstance(data, dict) else data


def _only_own_org(w, persona, response, field: str = "id"):  # type: ignore[no-untyped-def]
    if response.status_code != 200:
        return
    ids = {row[field] for row in _results(response)}
    if persona in ("customer_a", "customer_admin_a"):
        assert ids == {w.org_a.public_id}, ids
    elif persona == "customer_b":
        assert ids == {w.org_b.public_id}, ids
    else:
        assert {w.org_a.public_id, w.org_b.public_id} <= ids


def _contracts_visible(w, persona, response):  # type: ignore[no-untyped-def]
    if response.status_code != 200:
        return
    numbers = {row["number"] for row in _results(response)}
    if persona in ("customer_a", "customer_b"):
        assert numbers == set()
    elif persona == "customer_admin_a":
        assert numbers == {"WB-A-001"}
    else:
        assert numbers == {"WB-A-001", "WB-B-001"}
