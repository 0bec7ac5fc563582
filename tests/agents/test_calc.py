import pytest

from pyros.agents.calc import CalcError, calculate


@pytest.mark.parametrize(("expression", "value"), [
    ("2+2", 4), ("(1+2)*3**2", 27), ("-7 // 2", -4), ("7 % 3", 1), ("1/4", 0.25),
    ("2.5e3 - 500", 2000.0), ("+-3", -3),
])
def test_arithmetic(expression, value):
    assert calculate(expression) == value


@pytest.mark.parametrize(("expression", "message"), [
    ("__import__('os').system('true')", "not Call"),
    ("x + 1", "not Name"),
    ("'a' * 3", "not Constant"),
    ("[1, 2]", "not List"),
    ("(lambda: 1)()", "not Call"),
    ("1/0", "division by zero"),
    ("9 ** 99999", "exponent larger than 1000"),
    ("10.0 ** 400", "Numerical result out of range"),
    ("2 +", "not an arithmetic expression"),
    ("1" * 300, "longer than 200"),
    ("(9 ** 999) ** 999", "more than 1000 digits"),
    ("(10 ** 600) * (10 ** 600)", "more than 1000 digits"),
    ("2 ** 1000 * 2 ** 1000 * 2 ** 1000 * 2 ** 1000", "more than 1000 digits"),
])
def test_anything_else_is_refused(expression, message):
    with pytest.raises(CalcError, match=message.replace("(", r"\(").replace("*", r"\*")):
        calculate(expression)
