package dev.tideline.serving;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded model: an ONNX Runtime session that scores a batch of feature vectors as one tensor.
 *
 * <p>Serving swaps models while batches are in flight, so a scorer is reference counted: a batch
 * {@link #acquire}s it and {@link #release}s it, and a scorer that has been {@link #retire}d closes
 * its session when the last batch releases it.
 */
public final class OnnxScorer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OnnxScorer.class);

    private final String name;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String input;
    private final int width;
    private final ScoringDevice device;
    private final AtomicInteger users = new AtomicInteger(1); // the owner's reference
    private final AtomicBoolean retired = new AtomicBoolean();
    private volatile boolean closed;

    private OnnxScorer(
            String name,
            OrtEnvironment env,
            OrtSession session,
            String input,
            int width,
            ScoringDevice device) {
        this.name = name;
        this.env = env;
        this.session = session;
        this.input = input;
        this.width = width;
        this.device = device;
    }

    /**
     * Builds a session on the asked-for device and checks its signature: one float input of shape
     * [batch, width] and a float output of one score per row.
     *
     * @throws ModelLoadException naming the model and what does not fit
     */
    public static OnnxScorer load(String name, byte[] onnx, int width, ScoringOptions options)
            throws ModelLoadException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session = null;
        ScoringDevice chosen = ScoringDevice.CPU;
        try {
            if (options.device() != ScoringDevice.CPU) {
                try (OrtSession.SessionOptions so = sessionOptions(options)) {
                    so.addCUDA(0);
                    session = env.createSession(onnx, so);
                    chosen = ScoringDevice.CUDA;
                } catch (OrtException e) {
                    // ONNX Runtime does not fall back by itself (the CPU jar lacks the CUDA
                    // provider; the GPU jar without CUDA libraries fails to load it).
                    log.info(
                            "Model {}: CUDA unavailable ({}); scoring on the CPU",
                            name,
                            e.getMessage());
                }
            }
            if (session == null) {
                try (OrtSession.SessionOptions so = sessionOptions(options)) {
                    session = env.createSession(onnx, so);
                }
            }
            String in = checkSignature(name, session, width);
            log.info(
                    "Model {} loaded on {} (asked for {})",
                    name,
                    chosen.label(),
                    options.device().label());
            return new OnnxScorer(name, env, session, in, width, chosen);
        } catch (OrtException e) {
            closeQuietly(session);
            throw new ModelLoadException(
                    "model " + name + ": ONNX Runtime cannot load it: " + e.getMessage(), e);
        } catch (ModelLoadException e) {
            closeQuietly(session);
            throw e;
        }
    }

    private static OrtSession.SessionOptions sessionOptions(ScoringOptions options)
            throws OrtException {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        if (options.intraOpThreads() > 0) {
            so.setIntraOpNumThreads(options.intraOpThreads());
        }
        so.addConfigEntry("session.intra_op.allow_spinning", options.spinning() ? "1" : "0");
        return so;
    }

    private static String checkSignature(String name, OrtSession session, int width)
            throws OrtException, ModelLoadException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        if (inputs.size() != 1) {
            throw new ModelLoadException(
                    "model "
                            + name
                            + ": takes "
                            + inputs.size()
                            + " inputs "
                            + inputs.keySet()
                            + ", serving feeds one");
        }
        NodeInfo in = inputs.values().iterator().next();
        if (!(in.getInfo() instanceof TensorInfo t)
                || t.type != OnnxJavaType.FLOAT
                || t.getShape().length != 2) {
            throw new ModelLoadException(
                    "model "
                            + name
                            + ": input '"
                            + in.getName()
                            + "' is "
                            + in.getInfo()
                            + ", not a float [batch, width] tensor");
        }
        long declared = t.getShape()[1];
        if (declared != width) {
            throw new ModelLoadException(
                    "model "
                            + name
                            + ": input '"
                            + in.getName()
                            + "' has "
                            + declared
                            + " columns, the spec has "
                            + width);
        }
        NodeInfo out = session.getOutputInfo().values().iterator().next();
        if (!(out.getInfo() instanceof TensorInfo o) || o.type != OnnxJavaType.FLOAT) {
            throw new ModelLoadException(
                    "model "
                            + name
                            + ": output '"
                            + out.getName()
                            + "' is "
                            + out.getInfo()
                            + ", not a float tensor");
        }
        return in.getName();
    }

    /**
     * Scores {@code rows} vectors laid out row by row from index 0 of {@code features} (a direct
     * buffer in native order avoids a copy into native memory).
     */
    public float[] score(FloatBuffer features, int rows) throws OrtException {
        if (closed) {
            throw new IllegalStateException("model " + name + " is closed");
        }
        // Rows are read from index 0, whatever the buffer's position.
        FloatBuffer view = features.duplicate();
        view.position(0).limit(rows * width);
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, view, new long[] {rows, width});
                OrtSession.Result result = session.run(Map.of(input, tensor))) {
            // Read the output tensor's buffer: getValue() would build one float[1] per row.
            if (!(result.get(0) instanceof OnnxTensor out)) {
                throw new IllegalStateException("model " + name + ": output is not a tensor");
            }
            FloatBuffer scores = out.getFloatBuffer();
            if (scores.remaining() != rows) {
                throw new IllegalStateException(
                        "model "
                                + name
                                + ": "
                                + scores.remaining()
                                + " scores for "
                                + rows
                                + " rows");
            }
            float[] values = new float[rows];
            scores.get(values);
            return values;
        }
    }

    public String name() {
        return name;
    }

    public int width() {
        return width;
    }

    /** The device the session runs on. */
    public ScoringDevice device() {
        return device;
    }

    /** Takes a reference for one batch; false when the scorer is already closing. */
    public boolean acquire() {
        while (true) {
            int n = users.get();
            if (n == 0) {
                return false;
            }
            if (users.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Gives back a batch's reference; the last one out closes a retired scorer. */
    public void release() {
        if (users.decrementAndGet() == 0) {
            closeSession();
        }
    }

    /** Drops the owner's reference: the session closes as soon as no batch uses it. */
    public void retire() {
        if (retired.compareAndSet(false, true)) {
            release();
        }
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        retire();
    }

    private void closeSession() {
        closed = true;
        closeQuietly(session);
        log.debug("Model {} closed", name);
    }

    private static void closeQuietly(OrtSession session) {
        if (session != null) {
            try {
                session.close();
            } catch (OrtException e) {
                log.warn("Closing an ONNX Runtime session failed: {}", e.getMessage());
            }
        }
    }
}
