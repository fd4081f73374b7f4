package dev.tideline.schemas.serde;

/** The payload does not start with the wire format's magic byte 0: not Confluent-framed Avro. */
public final class UnknownMagicByteException extends SerdeException {

    private static final long serialVersionUID = 1L;

    private final int magic;

    public UnknownMagicByteException(String topic, int magic) {
        super(
                topic,
                String.format(
                        "record on topic %s starts with magic byte 0x%02x, expected 0x00 (Confluent"
                                + " wire format); it was not written by a registry-aware Avro"
                                + " serializer",
                        topic, magic & 0xff),
                null);
        this.magic = magic;
    }

    public int magic() {
        return magic;
    }
}
