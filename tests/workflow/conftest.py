"""Every figure the workflow tests draw is checked strictly: a plot job whose
figure has overlapping texts, an empty axes or is too wide fails
(:func:`snapens.report.layout.check`), and with it the test's study."""

import os

from snapens.report.layout import CHECK_VARIABLE

os.environ[CHECK_VARIABLE] = "strict"
