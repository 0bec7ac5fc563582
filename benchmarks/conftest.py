from tests.conftest import admin_user, grb_program, initial_data, simulated_clock  # noqa: F401
