"""Sending mail: by SMTP to ``SMTP_URL`` (the standard library's smtplib), else as ``.eml`` files
in the data folder's ``outbox/``; and the bar chart of a period's activity that digests carry."""
from __future__ import annotations

import os
import smtplib
import ssl
import xml.etree.ElementTree as ET
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from .config import Config

SENDER = "progress-service <progress-service@localhost>"
SMTP_TIMEOUT = 10  # seconds one conversation with the mail server may take


class Mailer:
    """Hands a message to the mail server, or leaves it in the outbox when there is none."""

    def __init__(self, config: Config):
        self.smtp_url = config.smtp_url
        self.outbox = config.data_dir / "outbox"

    @property
    def where(self) -> str:
        return self.smtp_url or str(self.outbox)

    def send(self, message: EmailMessage) -> None:
        """Raises OSError or smtplib.SMTPException when the server does not take the message."""
        if self.smtp_url is None:
            self._to_outbox(message)
            return
        url = urlsplit(self.smtp_url)
        secure = url.scheme == "smtps"
        port = url.port or (465 if secure else 25)
        if secure:
            server = smtplib.SMTP_SSL(url.hostname, port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(url.hostname, port, timeout=SMTP_TIMEOUT)
        with server:
            if url.username:
                server.login(unquote(url.username), unquote(url.password or ""))
            server.send_message(message)

    def _to_outbox(self, message: EmailMessage) -> None:
        self.outbox.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").partition("@")[0]
        final = self.outbox / f"{name}.eml"
        partial = final.with_suffix(".eml.partial")
        partial.write_bytes(bytes(message))
        os.replace(partial, final)  # whole or not at all


def bar_chart(bars: list[tuple[str, int]], *, title: str) -> bytes:
    """An SVG bar chart: one bar per (label, value), its value above it, the label below."""
    width, height, top, bottom, gap = 560, 220, 30, 40, 6
    step = width / max(len(bars), 1)
    highest = max((value for _, value in bars), default=0) or 1
    svg = ET.Element("svg", xmlns="http://www.w3.org/2000/svg", width=str(width), height=str(height),
                     viewBox=f"0 0 {width} {height}", role="img")
    ET.SubElement(svg, "title").text = title
    ET.SubElement(svg, "rect", width=str(width), height=str(height), fill="#ffffff")
    plot = height - top - bottom
    for index, (label, value) in enumerate(bars):
        bar = plot * value / highest
        x = index * step + gap / 2
        ET.SubElement(svg, "rect", x=f"{x:.1f}", y=f"{top + plot - bar:.1f}", width=f"{step - gap:.1f}",
                      height=f"{bar:.1f}", fill="#3b6ea5").append(_titled(f"{label}: {value}"))
        centre = f"{x + (step - gap) / 2:.1f}"
        if value:
            ET.SubElement(svg, "text", x=centre, y=f"{top + plot - bar - 4:.1f}", fill="#222222",
                          **{"font-size": "11", "text-anchor": "middle", "font-family": "sans-serif"}).text = str(value)
        ET.SubElement(svg, "text", x=centre, y=str(height - bottom + 16), fill="#555555",
                      **{"font-size": "10", "text-anchor": "middle", "font-family": "sans-serif"}).text = label
    return ET.tostring(svg, encoding="utf-8", xml_declaration=True)


def _titled(text: str) -> ET.Element:
    element = ET.Element("title")
    element.text = text
    return element

