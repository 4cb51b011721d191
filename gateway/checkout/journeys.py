"""The catalogue services behind the checkout's dedicated journeys. Other services are
paid through a dossier (the agency asks for the amount) or a Checkout Session."""

from __future__ import annotations

FINE_SERVICE = "BCA-XPVPHC-GT"  # traffic fines, by decision number or plate
ELECTRICITY_SERVICE = "EVN-TIENDIEN"  # EVN bills, by customer code
HOUSEHOLD_INSURANCE_SERVICE = "BHXH-BHYT-HGD"  # household health insurance, by social-insurance number
