from tests.support.http import bearer, register_over_http


async def test_a_registered_user_reads_their_own_profile(client) -> None:
    registered = await register_over_http(client, "smoke", first_name="Smoke")
    response = await client.get("/api/user/profiles/me/", headers=bearer(registered["tokens"]["access"]))
    assert response.status_code == 200
    assert response.json()["user"]["first_name"] == "Smoke"
