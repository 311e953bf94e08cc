"""The admin's tariff editor: a tariff's elements as rows of plain fields, composed into an OCPI Tariff and
validated as the API validates one; and a price preview of an example session."""

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from billing import engine, ocpi
from billing.models import Tariff
from billing.services import tariff_time_zone
from csms.errors import first_message

# Element row field -> (dimension, what it sets): a price per unit and its step size, per dimension.
COMPONENT_FIELDS = {
    "ENERGY": ("energy_price", "energy_step"),
    "TIME": ("time_price", "time_step"),
    "PARKING_TIME": ("parking_price", "parking_step"),
    "FLAT": ("flat_price", None),
}
RESTRICTION_FIELDS = ("start_time", "end_time", "start_date", "end_date", "day_of_week", "min_kwh", "max_kwh",
                      "min_duration", "max_duration", "min_power", "max_power", "min_current", "max_current",
                      "reservation")  # fmt: skip


def _money(label: str) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, min_value=0, max_digits=14, decimal_places=6)


class ElementForm(forms.Form):
    """One tariff element: what it charges, and when it applies (blank: always)."""

    energy_price = _money("per kWh")
    energy_step = forms.IntegerField(label="kWh step (Wh)", required=False, min_value=0, initial=1)
    time_price = _money("per hour charging")
    time_step = forms.IntegerField(label="time step (s)", required=False, min_value=0, initial=1)
    parking_price = _money("per hour parked")
    parking_step = forms.IntegerField(label="parking step (s)", required=False, min_value=0, initial=1)
    flat_price = _money("per session")
    vat = forms.DecimalField(label="VAT %", required=False, min_value=0, max_value=100, decimal_places=3)
    start_time = forms.RegexField(ocpi.TIME_OF_DAY, label="from (HH:MM)", required=False)
    end_time = forms.RegexField(ocpi.TIME_OF_DAY, label="until (HH:MM)", required=False)
    start_date = forms.DateField(label="from date", required=False)
    end_date = forms.DateField(label="until date", required=False)
    day_of_week = forms.MultipleChoiceField(
        label="days", required=False, choices=[(d, d[:3].title()) for d in ocpi.DAYS],
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    min_kwh = _money("from kWh")
    max_kwh = _money("until kWh")
    min_duration = forms.IntegerField(label="from second", required=False, min_value=0)
    max_duration = forms.IntegerField(label="until second", required=False, min_value=0)
    min_power = _money("from kW")
    max_power = _money("until kW")
    min_current = _money("from A")
    max_current = _money("until A")
    reservation = forms.ChoiceField(label="reservation", required=False,
                                    choices=[("", "")] + [(r, r) for r in ocpi.RESERVATION_TYPES])  # fmt: skip

    def element(self) -> dict:
        """The OCPI TariffElement of this row."""
        data = self.cleaned_data
        components = []
        for dimension, (price, step) in COMPONENT_FIELDS.items():
            if data.get(price) is None:
                continue
            component = {"type": dimension, "price": data[price], "step_size": (data.get(step) or 0) if step else 1}
            if data.get("vat") is not None:
                component["vat"] = data["vat"]
            components.append(component)
        restrictions = {name: data[name] for name in RESTRICTION_FIELDS if data.get(name) not in (None, "", [])}
        element = {"price_components": components}
        return element | ({"restrictions": restrictions} if restrictions else {})

    @staticmethod
    def initial_of(element: dict) -> dict:
        initial = dict(element.get("restrictions") or {})
        for component in element["price_components"]:
            price, step = COMPONENT_FIELDS[component["type"]]
            initial[price] = component["price"]
            if step:
                initial[step] = component.get("step_size")
            if "vat" in component:
                initial["vat"] = component["vat"]
        return initial


ElementFormSet = forms.formset_factory(ElementForm, extra=1, can_delete=True)


class TariffForm(forms.ModelForm):
    """The tariff's own fields and its elements; fields the editor does not show (energy_mix,
    tariff_alt_url, ...) are kept as they were."""

    currency = forms.RegexField(r"^[A-Z]{3}$", help_text="ISO 4217, e.g. EUR.")
    text = forms.CharField(label="text for drivers", max_length=512, required=False,
                           help_text="Shown on chargers that can show it (tariff_alt_text).")  # fmt: skip
    language = forms.RegexField(r"^[a-z]{2}$", required=False, initial="en", help_text="ISO 639-1 of the text.")
    min_price = _money("minimum price (excl. VAT)")
    max_price = _money("maximum price (excl. VAT)")
    valid_from = forms.DateTimeField(required=False, help_text="start_date_time")
    valid_until = forms.DateTimeField(required=False, help_text="end_date_time")
    preview_kwh = _money("example: kWh")
    preview_start = forms.DateTimeField(label="example: start", required=False)
    preview_minutes = forms.IntegerField(label="example: minutes charging", required=False, min_value=0)

    class Meta:
        model = Tariff
        fields = ["organisation", "tariff_id", "is_default"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        document = self.instance.document if self.instance.pk else {}
        self.fields["tariff_id"].required = True
        self.initial.setdefault("currency", document.get("currency", "EUR"))
        texts = document.get("tariff_alt_text") or [{}]
        self.initial.setdefault("text", texts[0].get("text", ""))
        self.initial.setdefault("language", texts[0].get("language", "en"))
        for name, field in (("min_price", "min_price"), ("max_price", "max_price")):
            if field in document:
                self.initial.setdefault(name, document[field]["excl_vat"])
        self.initial.setdefault("valid_from", document.get("start_date_time"))
        self.initial.setdefault("valid_until", document.get("end_date_time"))
        self.elements = ElementFormSet(
            data=self.data if self.is_bound else None,
            prefix="elements",
            initial=[ElementForm.initial_of(e) for e in document.get("elements", [])],
        )
        self.document = None
        self.preview = None

    def clean(self):
        data = super().clean()
        if not self.elements.is_valid():
            raise ValidationError("An element has an error (see the elements below).")
        rows = [f.element() for f in self.elements.forms if not f.cleaned_data.get("DELETE")]
        elements = [e for e in rows if e["price_components"] or e.get("restrictions")]  # blank rows left out
        document = dict(self.instance.document or {}) if self.instance.pk else {}
        for name in ("tariff_alt_text", "min_price", "max_price", "start_date_time", "end_date_time"):
            document.pop(name, None)
        document |= {"id": data.get("tariff_id"), "currency": data.get("currency"), "elements": elements}
        if data.get("text"):
            document["tariff_alt_text"] = [{"language": data.get("language") or "en", "text": data["text"]}]
        for name in ("min_price", "max_price"):
            if data.get(name) is not None:
                document[name] = {"excl_vat": data[name]}
        for name, field in (("valid_from", "start_date_time"), ("valid_until", "end_date_time")):
            if data.get(name) is not None:
                document[field] = data[name]
        document.pop("last_updated", None)
        valid = ocpi.Tariff(data=ocpi.as_json(document))
        if not valid.is_valid():
            raise ValidationError(first_message(valid.errors))
        self.document = ocpi.as_json(dict(valid.validated_data))
        self.preview = self._preview(data)
        return data

    def _preview(self, data) -> engine.Costs | None:
        """The example session priced: its kWh drawn evenly while it charged."""
        if data.get("preview_start") is None or data.get("preview_minutes") is None:
            return None
        start = data["preview_start"]
        end = start + timedelta(minutes=data["preview_minutes"])
        energy_wh = engine.exact(data.get("preview_kwh") or Decimal(0)) * 1000
        seconds = Decimal(data["preview_minutes"] * 60)
        period = engine.Period(start=start, end=end, energy_wh=energy_wh, charging_s=seconds)
        return engine.price_periods(self.document, start=start, end=end, periods=[period], tz=tariff_time_zone())
