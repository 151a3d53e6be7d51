class DomainError(Exception):
    """A business rule refused the action. The message is shown to the person as is."""

    def __init__(self, message: object, *, code: str = "refused") -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.code = code
