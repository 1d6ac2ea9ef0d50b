"""What each POP3 line means: the explanations the Stepper and the Console show."""

from __future__ import annotations

import pytest

from smtpsim.pop3 import COMMANDS, TRANSITIONS, explain_command, explain_response


@pytest.mark.parametrize(("line", "command", "meaning"), [
    ("+OK pop.example.com POP3 server ready", "", "Yes: the server is ready"),
    ("+OK 2 320", "STAT", "Yes: the maildrop holds 2 messages, 320 octets in all."),
    ("+OK 2 410", "LIST", "Yes: message 2 has size in octets 410."),
    ("+OK 2 1.7", "UIDL", "Yes: message 2 has unique id 1.7."),
    # LIST and UIDL without a number: the listing follows, whatever the status says
    ("+OK 2 messages (820 octets)", "LIST", "Yes: one line per message follows: its number "
                                            "and size in octets."),
    ("+OK 3 unique ids follow", "UIDL", "Yes: one line per message follows: its number "
                                        "and unique id."),
    ("-ERR [AUTH] invalid user name or password", "PASS",
     "No: the server refused PASS. [AUTH]: the user name or password is wrong"),
    ("-ERR unknown command 'STATT'", "STATT", "No: the server refused STATT."),
    ("+ ", "AUTH", "Go on: the server waits for the next step of the SASL exchange."),
    (".", "RETR", "The lone dot ends a multi-line response."),
    ("Subject: hi", "RETR", ""),
])
def test_each_answer_is_explained_with_the_command_it_answers(line, command, meaning):
    assert explain_response(line, command).startswith(meaning)


def test_every_command_of_the_state_machine_is_explained():
    assert {command for _, command in TRANSITIONS} == set(COMMANDS)
    assert explain_command("retr 1") == COMMANDS["RETR"]
    assert explain_command("dGVzdA==") == explain_command("") == ""
