package dev.ortho.core.direction;

import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.safetensors.DType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.*;

class DirectionFilesTest {

    static Path shared() {
        return dev.ortho.fixtures.SharedData.dir("paper").getParent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma-2b-it", "qwen-1_8b-chat"})
    void paperDirectionPtEqualsTheNpyExactly(String model) {
        Path s = shared();
        RawTensor pt = DirectionFiles.read(s.resolve("paper/runs/" + model + "/direction.pt").toString());
        RawTensor npy = DirectionFiles.read(s.resolve("paper/derived/" + model + "_direction_float64.npy").toString());
        assertArrayEquals(npy.shape(), pt.shape());
        assertEquals(DType.F64, npy.storedDtype());
        for (int i = 0; i < npy.values().length; i++) {
            assertEquals(Double.doubleToRawLongBits(npy.values()[i]), Double.doubleToRawLongBits(pt.values()[i]), "element " + i);
        }
        RefusalDirection d = RefusalDirection.of(pt, pt.values().length, 18);
        assertTrue(d.renormalized(), "the paper's directions are not unit length");
        assertTrue(d.originalNorms()[0] > 1);
        double n = 0;
        for (double v : d.forLayer(3)) n += v * v;
        assertEquals(1.0, n, 1e-12);
    }

    @Test
    void paperMeanDiffsReadAsMultiDimensional() {
        RawTensor t = DirectionFiles.read(shared().resolve("paper/derived/qwen-1_8b-chat_mean_diffs_float64.npy").toString());
        assertEquals(3, t.shape().length, "[positions, layers, hidden]");
    }

    @Test
    void goldenUnitDirectionIsKeptBitExact() {
        Path g = shared().resolve("golden/llama/reference.safetensors");
        RawTensor t = DirectionFiles.read(g + ":direction");
        assertEquals(DType.F32, t.storedDtype());
        RefusalDirection d = RefusalDirection.of(t, 64, 3);
        assertFalse(d.renormalized());
        assertArrayEquals(t.values(), d.forEmbedding());
        RawTensor f64 = DirectionFiles.read(g + ":direction_f64");
        assertEquals(DType.F64, f64.storedDtype());
    }

    @Test
    void npyVersionsAndDtypes(@TempDir Path tmp) throws Exception {
        double[] v = {0.5, -1.25, 3.0};
        for (int version : new int[]{1, 2}) {
            for (String descr : new String[]{"<f4", "<f8"}) {
                Path p = tmp.resolve("v" + version + descr.substring(1) + ".npy");
                Files.write(p, npy(version, descr, "(3,)", false, v));
                assertArrayEquals(v, DirectionFiles.read(p.toString()).values());
            }
        }
        Path fortran = tmp.resolve("f.npy");
        Files.write(fortran, npy(1, "<f8", "(3,)", true, v));
        assertThrows(InvalidInputException.class, () -> DirectionFiles.read(fortran.toString()));
        Path wrongLen = tmp.resolve("w.npy");
        Files.write(wrongLen, npy(1, "<f8", "(4,)", false, v));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> DirectionFiles.read(wrongLen.toString()));
        assertTrue(e.getMessage().contains("needs 32 bytes"), e.getMessage());
        Path ints = tmp.resolve("i.npy");
        Files.write(ints, npy(1, "<i8", "(3,)", false, v));
        assertThrows(InvalidInputException.class, () -> DirectionFiles.read(ints.toString()));
    }

    @Test
    void jsonListsAndPerLayerDirections(@TempDir Path tmp) throws Exception {
        Path p = tmp.resolve("d.json");
        Files.writeString(p, "[[3,4],[0,2],[1,0]]");
        RefusalDirection d = RefusalDirection.of(DirectionFiles.read(p.toString()), 2, 3);
        assertTrue(d.perLayer());
        assertArrayEquals(new double[]{0.6, 0.8}, d.forLayer(0), 1e-15);
        assertArrayEquals(new double[]{0, 1}, d.forLayer(1), 0);
        assertArrayEquals(new double[]{0.6, 0.8}, d.forEmbedding(), 1e-15);
        assertArrayEquals(new double[]{5, 2, 1}, d.originalNorms(), 0);
        Files.writeString(p, "[1, \"x\"]");
        assertThrows(InvalidInputException.class, () -> DirectionFiles.read(p.toString()));
        Files.writeString(p, "[1, NaN]");
        assertThrows(InvalidInputException.class, () -> DirectionFiles.read(p.toString()));
    }

    @Test
    void ptRefusesForeignGlobalsAndBadViews(@TempDir Path tmp) throws Exception {
        Path marker = tmp.resolve("ran");
        ByteArrayOutputStream pkl = new ByteArrayOutputStream();
        pkl.writeBytes(new byte[]{(byte) 0x80, 2});
        pkl.writeBytes("cbuiltins\neval\n".getBytes(StandardCharsets.US_ASCII));
        String code = "open('" + marker + "','w')";
        pkl.write('X');
        pkl.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(code.length()).array());
        pkl.writeBytes(code.getBytes(StandardCharsets.US_ASCII));
        pkl.writeBytes(new byte[]{(byte) 0x85, 'R', '.'});
        Path pt = zip(tmp.resolve("evil.pt"), pkl.toByteArray(), null);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> DirectionFiles.read(pt.toString()));
        assertTrue(e.getMessage().contains("builtins.eval"), e.getMessage());
        assertFalse(Files.exists(marker));

        // A tensor view whose offset reaches past its storage.
        Path view = zip(tmp.resolve("view.pt"), tensorPickle(4, 10, 3), new byte[8 * 4]);
        InvalidInputException v = assertThrows(InvalidInputException.class, () -> DirectionFiles.read(view.toString()));
        assertTrue(v.getMessage().contains("reaches past its storage"), v.getMessage());
        // And one that is fine: offset 1, three elements of a four-element storage.
        ByteBuffer data = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN).putDouble(9).putDouble(1).putDouble(2).putDouble(3);
        Path ok = zip(tmp.resolve("ok.pt"), tensorPickle(4, 1, 3), data.array());
        assertArrayEquals(new double[]{1, 2, 3}, DirectionFiles.read(ok.toString()).values());
    }

    /** A torch.save pickle of a float64 view: storage of numel, offset, size [n], stride [1]. */
    private static byte[] tensorPickle(int numel, int offset, int n) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[]{(byte) 0x80, 2});
        b.writeBytes("ctorch._utils\n_rebuild_tensor_v2\n".getBytes(StandardCharsets.US_ASCII));
        b.write('(');
        b.write('(');
        str(b, "storage");
        b.writeBytes("ctorch\nDoubleStorage\n".getBytes(StandardCharsets.US_ASCII));
        str(b, "0");
        str(b, "cpu");
        b.write('K'); b.write(numel);
        b.write('t');
        b.write('Q');
        b.write('K'); b.write(offset);
        b.write('K'); b.write(n); b.write(0x85);
        b.write('K'); b.write(1); b.write(0x85);
        b.write(0x89);
        b.writeBytes("ccollections\nOrderedDict\n".getBytes(StandardCharsets.US_ASCII));
        b.write(')'); b.write('R');
        b.write('t');
        b.write('R');
        b.write('.');
        return b.toByteArray();
    }

    private static void str(ByteArrayOutputStream b, String s) {
        b.write('X');
        b.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(s.length()).array());
        b.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static Path zip(Path p, byte[] pkl, byte[] storage) throws Exception {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(p))) {
            z.putNextEntry(new ZipEntry("archive/data.pkl"));
            z.write(pkl);
            z.closeEntry();
            z.putNextEntry(new ZipEntry("archive/byteorder"));
            z.write("little".getBytes(StandardCharsets.US_ASCII));
            z.closeEntry();
            if (storage != null) {
                z.putNextEntry(new ZipEntry("archive/data/0"));
                z.write(storage);
                z.closeEntry();
            }
        }
        return p;
    }

    private static byte[] npy(int version, String descr, String shape, boolean fortran, double[] v) {
        String header = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
        int pre = version == 1 ? 10 : 12;
        int pad = 64 - (pre + header.length() + 1) % 64;
        header = header + " ".repeat(pad % 64) + "\n";
        int size = descr.endsWith("4") ? 4 : 8;
        ByteBuffer b = ByteBuffer.allocate(pre + header.length() + size * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        if (version == 1) b.putShort((short) header.length()); else b.putInt(header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1));
        for (double x : v) {
            if (size == 4) b.putFloat((float) x); else if (descr.startsWith("<i")) b.putLong((long) x); else b.putDouble(x);
        }
        return b.array();
    }
}
