"""Issue 17, item 3, through a served process: a secret setting read from a file is the one the
gateway uses (here the metrics token, which then guards /metrics)."""

from __future__ import annotations

from pathlib import Path

import httpx

from emulators.token_issuer import TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from tests.e2e.test_e2e_cli import clean_environment, free_port, poll, running
from tests.support.servers import serving

TOKEN = "metrics-from-a-file-0123456789"


async def test_the_metrics_token_is_read_from_its_file(tmp_path: Path) -> None:
    token_file = tmp_path / "metrics-token"
    token_file.write_text(TOKEN + "\n")  # as a mounted secret ends
    issuer = TokenIssuer()
    async with serving(create_issuer_app(issuer)) as issuer_url:
        issuer.bind(issuer_url)
        port = free_port()
        env = clean_environment(
            keycloak_issuer=issuer.issuer or "",
            port=str(port),
            metrics_token_file=str(token_file),
        )
        async with running("serve", env=env, stderr_file=tmp_path / "stderr") as process:
            base = f"http://127.0.0.1:{port}"
            await poll(f"{base}/readyz", process)
            async with httpx.AsyncClient(timeout=5) as http:
                refused = await http.get(f"{base}/metrics")
                allowed = await http.get(
                    f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
                )
    assert refused.status_code == 401
    assert allowed.status_code == 200 and b"itsm_gateway_requests_total" in allowed.content
    assert TOKEN not in (tmp_path / "stderr").read_text()
