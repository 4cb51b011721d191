"""VietQR: bank transfers over NAPAS 247 started by scanning an EMVCo merchant-presented QR."""
