"""The durable mail outbox: every mail PyROS sends is first a row, so that a mail
server that is down loses nothing (see docs/people.md, "Registration and mail")."""
