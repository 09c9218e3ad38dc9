"""The yardstick for start-up: a hello-world Typer app that prints with rich (issue 24's `lookup` target)."""

import typer
from rich.console import Console

app = typer.Typer()


@app.command()
def hello(name: str = "world") -> None:
    Console().print(f"hello [bold]{name}[/bold]")


if __name__ == "__main__":
    app()
