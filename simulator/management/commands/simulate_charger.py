import asyncio
import logging
import signal
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from ocpp.exceptions import OCPPError
from websockets.exceptions import ConnectionClosed

from simulator import SIMULATORS, ConnectionRefused
from simulator.charger import Charger


class Command(BaseCommand):
    help = (
        "Run a simulated OCPP 1.6J, 2.0.1 or 2.1 charger against a CSMS: it connects to <url>/<ID>, boots, "
        "reports its connectors (1.6: 0..N; 2.0.1 and 2.1: EVSEs 1..N), heartbeats and answers every command the "
        "CSMS sends. Without --charge it runs until interrupted (Ctrl-C); with --charge it runs one session "
        "and exits. The charger must be registered first (manage.py register_charger)."
    )

    def add_arguments(self, parser):
        parser.add_argument("charge_box_id", metavar="ID", help="the chargeBoxId to connect as")
        parser.add_argument(
            "--url",
            default=settings.CSMS_PUBLIC_WS_URL,
            help="the CSMS's OCPP WebSocket base; the charger connects to <url>/<ID> (default: %(default)s)",
        )
        parser.add_argument(
            "--ocpp",
            "--protocol",
            choices=list(SIMULATORS),
            type=lambda version: version.removeprefix("ocpp"),  # the version or its subprotocol: 2.1 or ocpp2.1
            default="1.6",
            help="the OCPP version it speaks, or its subprotocol: 1.6 (ocpp1.6), 2.0.1 (ocpp2.0.1, with a device "
            "model, TransactionEvents and NotifyReport) or 2.1 (ocpp2.1: 2.0.1's and 2.1's messages: tariffs, "
            "DER controls, priority charging, battery swaps, periodic event streams) (default: %(default)s)",
        )
        parser.add_argument("--password", help="HTTP Basic password (security profile 1), if the charger has one")
        security = parser.add_argument_group(
            "security (1.6 Security Whitepaper, 2.0.1)",
            "The charger answers the CSMS's security commands: SignCertificate on ExtendedTriggerMessage/"
            "TriggerMessage, CertificateSigned, Install/Delete/GetInstalledCertificateIds, GetLog (uploaded to the "
            "location given), signed firmware updates, password rotation and moving to a higher security profile "
            "(it reconnects on it through --tls-url, presenting its client certificate on profile 3, and falls back "
            "to the profile before if that fails).",
        )
        security.add_argument(
            "--security-profile", type=int, choices=[1, 2], default=1,
            help="the profile it connects on (default 1); profile 3 is reached once the CSMS signed its certificate",
        )  # fmt: skip
        security.add_argument("--tls-url", help="wss:// URL of the CSMS's TLS proxy, for profiles 2 and 3")
        security.add_argument(
            "--server-ca", metavar="FILE", help="PEM of the CA that signed the TLS proxy's certificate (else the "
            "system's CAs, or a CentralSystemRootCertificate / CSMSRootCertificate the CSMS installs)",
        )  # fmt: skip
        security.add_argument(
            "--organisation", help="the O of its certificate signing requests: its organisation's name in the CSMS "
            "(1.6 CpoName, 2.0.1 SecurityCtrlr.OrganizationName; the CSMS may set it too)",
        )  # fmt: skip
        security.add_argument(
            "--security-event", action="append", default=[], metavar="TYPE",
            help="send a SecurityEventNotification of this type once booted (e.g. TamperDetectionActivated); "
            "may be repeated",
        )  # fmt: skip
        parser.add_argument(
            "--connectors", type=int, default=1, metavar="N", help="number of connectors (2.0.1: EVSEs, one "
            "connector each) (default 1)",
        )  # fmt: skip
        parser.add_argument(
            "--charge", metavar="TAG", help="run one session for this id tag, then exit: 1.6 sends Authorize, "
            "StartTransaction, MeterValues, StopTransaction; 2.0.1 Authorize and TransactionEvent Started, "
            "Updated (meter values), Ended",
        )  # fmt: skip
        parser.add_argument(
            "--connector", type=int, help="the connector (2.0.1: EVSE) for --charge (default: the first free one)"
        )
        parser.add_argument(
            "--duration", type=float, default=60, metavar="SECONDS", help="length of the --charge session (default 60)"
        )
        parser.add_argument(
            "--meter-interval",
            type=int,
            default=10,
            metavar="SECONDS",
            help="seconds between meter values while charging: 1.6's MeterValueSampleInterval, 2.0.1's "
            "SampledDataCtrlr.TxUpdatedInterval (default 10)",
        )

    def handle(self, *args, charge_box_id, url, ocpp, password, connectors, charge, connector, duration, **options):
        if connectors < 1:
            raise CommandError("--connectors must be at least 1")
        if options["security_profile"] >= 2 and not options["tls_url"]:
            raise CommandError("--security-profile 2 needs --tls-url")
        if connector is not None and not 1 <= connector <= connectors:
            raise CommandError(f"--connector must be between 1 and {connectors}")
        self._log_to_stdout(verbosity=options["verbosity"])
        charger = SIMULATORS[ocpp](
            charge_box_id,
            url=url,
            password=password,
            connectors=connectors,
            meter_interval=options["meter_interval"],
        )
        server_ca = None
        if options["server_ca"]:
            try:
                server_ca = Path(options["server_ca"]).read_text()
            except OSError as error:
                raise CommandError(f"--server-ca: {error}")
        charger.security_configure(
            profile=options["security_profile"], secure_url=options["tls_url"], organisation=options["organisation"],
            server_ca=server_ca,
        )  # fmt: skip
        try:
            outcome = asyncio.run(self._run(charger, charge, connector, duration, options["security_event"]))
        except (KeyboardInterrupt, asyncio.CancelledError):
            return
        except ConnectionRefused as error:
            raise CommandError(str(error))
        except (ConnectionClosed, ConnectionError, TimeoutError, OCPPError) as error:
            raise CommandError(f"the exchange with the CSMS broke off: {error!r}")
        if outcome is not None:
            raise CommandError(outcome)

    async def _run(
        self, charger: Charger, id_tag: str | None, connector: int | None, duration: float, events: list[str]
    ):
        """None on success, else what went wrong."""
        # Stopped by a service manager (SIGTERM) as by Ctrl-C: close the connection cleanly.
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
        try:
            await charger.start()
            for event in events:
                await charger.security_event(event)
            if id_tag is None:
                await charger.wait_closed()
                return "the CSMS closed the connection"
            session = await charger.charge(id_tag, connector_id=connector, duration=duration)
            if session is None or session.id_tag_status != "Accepted":
                return f"no session was charged for {id_tag}"
            self.stdout.write(f"Charged {session.energy_wh} Wh in transaction {session.transaction_id}")
            return None
        finally:
            await charger.stop()

    def _log_to_stdout(self, verbosity: int) -> None:
        """The simulator's story on stdout; the raw OCPP frames too with -v 2."""
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        simulator = logging.getLogger("simulator")
        simulator.handlers = [handler]
        simulator.propagate = False
        simulator.setLevel(logging.WARNING if verbosity == 0 else logging.INFO)
        frames = logging.getLogger("simulator.frames")
        frames.setLevel(logging.INFO if verbosity >= 2 else logging.WARNING)
