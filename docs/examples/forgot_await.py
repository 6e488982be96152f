# The forgotten await, caught only at run time: python3 forgot_await.py
import asyncio


async def query_database():
    await asyncio.sleep(0)  # stands for real awaited I/O


async def handler():
    query_database()  # forgot await: this line only creates the coroutine, which never runs
    await query_database()  # what was meant


asyncio.run(handler())
print("handler() returned normally; the first query_database() never ran")
