"""Personal data: masking identity and phone numbers however they are written, the check
characters of identity numbers and credit codes, and keyed-hash pseudonyms."""
