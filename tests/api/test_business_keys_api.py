"""Issue 9 defect 10 over HTTP: a start sent again with the same business key and data
answers 200 with the case it made (201 the first time); with other data 409 naming
`business_key`. One case either way."""

from tests.api.test_api import _deploy_mini


def test_defect10_a_retried_start_is_200_with_the_same_case_and_other_data_409(live):
    assert _deploy_mini(live).status_code == 201
    body = {"definition": "mini_case", "business_key": "HTTP-BK-1", "data": {"applicant_phone": "13812345678"}}
    first = live.call("POST", "/api/v1/instances", as_="window", json=body)
    assert first.status_code == 201, first.text
    again = live.call("POST", "/api/v1/instances", as_="window", json=body)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["definition"] == first.json()["definition"]
    other = live.call("POST", "/api/v1/instances", as_="window",
                      json={**body, "data": {"applicant_phone": "13900000000"}})
    assert other.status_code == 409, other.text
    assert other.json()["error"] == "conflict" and other.json()["details"]["business_key"] == "HTTP-BK-1"
    listed = live.call("GET", "/api/v1/instances", as_="window", params={"business_key": "HTTP-BK-1"}).json()
    assert [i["id"] for i in listed] == [first.json()["id"]]
    spec = live.call("GET", "/api/v1/openapi.json").json()["paths"]["/api/v1/instances"]["post"]["responses"]
    assert {"200", "201", "409"} <= set(spec)
