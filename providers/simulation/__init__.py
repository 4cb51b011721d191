"""What every provider sandbox shares: the tester's scenarios, callback delivery with
retries, the record of what was processed (for the settlement file), the outcome page.

Sandbox state lives in memory in one app instance. Run the sandboxes in one process (one
uvicorn worker, or mounted in a single-worker ``publicpay serve``); with several workers
each would keep its own payments and a status query could land on a worker that never
saw the payment.
"""
