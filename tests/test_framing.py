"""Every CALL gets exactly one CALLRESULT or CALLERROR, and the connection stays up."""

import asyncio

import pytest

from tests.raw_charger import RawCharger


@pytest.fixture
def cp(server, charger):
    async def connect():
        return await RawCharger.connect(server.ws, "CP-1")

    return connect


def exchange(connect, *frames):
    """Send raw frames; return each answer, then prove the connection still works."""

    async def scenario():
        cp = await connect()
        answers = []
        for frame in frames:
            await cp.send_raw(frame)
            answers.append(await cp.recv())
        alive = await cp.call("Heartbeat", {})
        await cp.close()
        return answers, alive

    answers, alive = asyncio.run(scenario())
    assert alive[0] == 3
    return answers


def test_an_unknown_action_is_not_implemented(cp):
    [answer] = exchange(cp, '[2,"a1","MakeCoffee",{}]')
    assert answer[:3] == [4, "a1", "NotImplemented"]


def test_a_csms_action_sent_by_a_charger_is_not_supported(cp):
    [answer] = exchange(cp, '[2,"a2","Reset",{"type":"Soft"}]')
    assert answer[:3] == [4, "a2", "NotSupported"]


@pytest.mark.parametrize(
    "payload, code",
    [
        ('{"chargePointModel":"M"}', "OccurenceConstraintViolation"),
        ('{"chargePointVendor":1,"chargePointModel":"M"}', "TypeConstraintViolation"),
        ('{"chargePointVendor":"V","chargePointModel":"M","colour":"red"}', "FormationViolation"),
        ('{"chargePointVendor":"' + "V" * 21 + '","chargePointModel":"M"}', "TypeConstraintViolation"),
    ],
)
def test_a_payload_breaking_the_schema_gets_the_matching_16_code(cp, payload, code):
    [answer] = exchange(cp, f'[2,"b1","BootNotification",{payload}]')
    assert answer[:3] == [4, "b1", code]
    assert answer[3]


def test_an_enum_value_out_of_range_is_a_property_constraint_violation(cp):
    [answer] = exchange(cp, '[2,"b2","StatusNotification",{"connectorId":1,"status":"Sleeping","errorCode":"NoError"}]')
    assert answer[:3] == [4, "b2", "PropertyConstraintViolation"]


def test_an_unparseable_timestamp_is_a_property_constraint_violation(cp):
    frame = '[2,"b3","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":0,"timestamp":"yesterday"}]'
    [answer] = exchange(cp, frame)
    assert answer[:3] == [4, "b3", "PropertyConstraintViolation"]


def test_malformed_json_with_a_recoverable_id_is_a_formation_violation(cp):
    [answer] = exchange(cp, '[2,"c1","Heartbeat",{')
    assert answer[:3] == [4, "c1", "FormationViolation"]


@pytest.mark.parametrize(
    "frame, unique_id",
    [('[2,"d1","Heartbeat"]', "d1"), ('{"not":"an array"}', None), ('[2,"d3"]', "d3"), ('[9,"d4",{}]', "d4")],
)
def test_a_wrong_frame_shape_is_a_protocol_error(cp, frame, unique_id):
    if unique_id is None:
        # Nothing to answer to: the charger gets no frame, and the connection stays up.
        exchange(cp)
        return
    [answer] = exchange(cp, frame)
    assert answer[:3] == [4, unique_id, "ProtocolError"]


def test_a_payload_that_is_not_an_object_is_a_formation_violation(cp):
    [answer] = exchange(cp, '[2,"e1","Heartbeat",[]]')
    assert answer[:3] == [4, "e1", "FormationViolation"]
