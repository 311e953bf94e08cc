"""Billing sits on top (the layers contract in .importlinter keeps the rooms below from importing it);
they reach it through csms.hooks and the chargers.costs registry, which billing fills when it starts."""


def test_billing_prices_sessions_through_the_hooks_and_the_costs_registry(transactional_db):
    from billing import listeners, services
    from chargers import costs
    from csms import hooks

    assert costs._pricer is services.session_cost_shown
    assert listeners.session_started in hooks._handlers[hooks.SESSION_STARTED]
    assert listeners.session_ended in hooks._handlers[hooks.SESSION_ENDED]
    assert listeners.id_tag_authorized in hooks._handlers[hooks.ID_TAG_AUTHORIZED]
