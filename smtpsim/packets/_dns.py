"""DNS messages in their wire format (RFC 1035), made with dnspython.

The simulation asks its DNS zone directly and records the question and the answer
(:class:`~smtpsim.trace.DnsQuery`, :class:`~smtpsim.trace.DnsAnswer`). On a real
network the same question travels as a UDP datagram to port 53 and the answer comes
back the same way, in a binary format: a 12-byte header (an id that pairs answer with
question, flags, counts), the question, then the answer records. Building that format
by hand is easy to get subtly wrong (names are compressed, lengths nest), so the
library made for it, dnspython, writes it.
"""

from __future__ import annotations

import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

__all__ = ["query_wire", "response_wire"]

#: How long an answer may be cached, in seconds (the simulation has no caches).
TTL = 300


def _question(qname: str, qtype: str, ident: int) -> dns.message.Message:
    question = dns.message.make_query(qname, dns.rdatatype.from_text(qtype))
    question.id = ident
    return question


def query_wire(qname: str, qtype: str, ident: int) -> bytes:
    """The question ``qname``/``qtype`` (``"MX"``, ``"A"`` ...) with the id ``ident``,
    recursion desired, as it goes on the wire."""
    return _question(qname, qtype, ident).to_wire()


def response_wire(qname: str, qtype: str, ident: int, rcode: str,
                  answers: tuple[str, ...]) -> bytes:
    """The answer to that question: ``rcode`` (``"NOERROR"``, ``"NXDOMAIN"``) and the
    records in zone-file form (``"10 mx1.example.com."``, ``"192.0.2.10"``), as the
    trace holds them."""
    response = dns.message.make_response(_question(qname, qtype, ident),
                                         recursion_available=True)
    response.set_rcode(dns.rcode.from_text(rcode))
    if answers:
        name = dns.name.from_text(qname)  # absolute: example.com.
        response.answer.append(dns.rrset.from_text_list(
            name, TTL, "IN", qtype, list(answers), origin=dns.name.root, relativize=False))
    # Real servers may rotate the records; a capture must be the same every time, so
    # they go in the trace's order (dnspython shuffles unless told not to).
    return response.to_wire(want_shuffle=False)
