import asyncio

from .app import main_async
from .config import load

if __name__ == "__main__":
    asyncio.run(main_async(*load()))
