"""Is the code at an address the code of an artifact? Compared with immutables masked.

Shipped artifacts carry no ``immutableReferences``, but solc emits every immutable read in the runtime code as
``PUSH32`` with 32 zero bytes in the artifact's ``deployedBytecode`` (the constructor writes the value there when it
deploys). So the instruction stream of the artifact is walked (push data skipped, so data is never read as an
opcode), the operand of every such ``PUSH32 0`` is masked in both codes, and the rest must be byte-for-byte equal,
with the same length. A contract of another artifact, another compiler setting or another version differs
outside those operands (at least in its metadata hash).
"""

from __future__ import annotations

PUSH1, PUSH32 = 0x60, 0x7F
WORD = 32


def immutable_slots(code: bytes) -> list[int]:
    """The offsets of the 32-byte operands of ``PUSH32 0`` instructions: where immutables are written."""
    slots, position = [], 0
    while position < len(code):
        opcode = code[position]
        if PUSH1 <= opcode <= PUSH32:
            width = opcode - PUSH1 + 1
            if opcode == PUSH32 and code[position + 1 : position + 1 + WORD] == bytes(WORD):
                slots.append(position + 1)
            position += 1 + width
        else:
            position += 1
    return slots


def code_matches(artifact_runtime_hex: str, onchain_hex: str) -> bool:
    """Whether the code on chain is the artifact's runtime code with its immutables filled in."""
    shipped = bytes.fromhex(artifact_runtime_hex.removeprefix("0x"))
    actual = bytes.fromhex(onchain_hex.removeprefix("0x"))
    if not shipped or len(shipped) != len(actual):
        return False
    masked_shipped, masked_actual = bytearray(shipped), bytearray(actual)
    for offset in immutable_slots(shipped):
        masked_shipped[offset : offset + WORD] = bytes(WORD)
        masked_actual[offset : offset + WORD] = bytes(WORD)
    return masked_shipped == masked_actual
