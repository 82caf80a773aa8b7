package dev.ortho.core.runtime;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

import java.util.ArrayList;
import java.util.List;

/**
 * A small writer of ONNX graphs: one method per operator, each returning the name of the value it
 * produces, so that model code reads like the forward pass it describes. Only standard operators of
 * the default domain are used (opset {@value #OPSET}).
 */
public final class OnnxGraphBuilder {

    /** Opset 17: LayerNormalization exists and ReduceMean still takes its axes as an attribute. */
    public static final int OPSET = 17;

    public static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
    public static final int BFLOAT16 = TensorProto.DataType.BFLOAT16_VALUE;
    public static final int FLOAT16 = TensorProto.DataType.FLOAT16_VALUE;
    public static final int INT64 = TensorProto.DataType.INT64_VALUE;

    private final GraphProto.Builder graph = GraphProto.newBuilder().setName("ortho");
    private int counter;

    private String fresh(String hint) { return hint + "_" + (counter++); }

    /** A graph input; each dimension is a Long (fixed) or a String (symbolic). */
    public String input(String name, int elemType, Object... dims) {
        graph.addInput(valueInfo(name, elemType, dims));
        return name;
    }

    /** Names {@code value} as a graph output (through an Identity so that the output name is free). */
    public void output(String name, String value, int elemType) {
        node("Identity", List.of(value), List.of(name), List.of());
        graph.addOutput(ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType))));
    }

    private static ValueInfoProto valueInfo(String name, int elemType, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof String s) dim.setDimParam(s); else dim.setDimValue(((Number) d).longValue());
            shape.addDim(dim);
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape))).build();
    }

    /**
     * Declares an initializer whose bytes live outside the model ({@code data_location EXTERNAL});
     * the session receives them with {@code SessionOptions.addExternalInitializers}.
     */
    public String boundInitializer(String name, int elemType, long[] shape) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(elemType)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL);
        long n = 1;
        for (long s : shape) {
            t.addDims(s);
            n *= s;
        }
        t.addExternalData(ai.onnx.proto.OnnxMl.StringStringEntryProto.newBuilder().setKey("location").setValue("ortho-bound"));
        t.addExternalData(ai.onnx.proto.OnnxMl.StringStringEntryProto.newBuilder().setKey("offset").setValue("0"));
        t.addExternalData(ai.onnx.proto.OnnxMl.StringStringEntryProto.newBuilder().setKey("length").setValue(Long.toString(n * 4)));
        graph.addInitializer(t);
        return name;
    }

    public String constFloat(float[] values, long... shape) {
        String name = fresh("cf");
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(FLOAT);
        for (long s : shape) t.addDims(s);
        for (float v : values) t.addFloatData(v);
        graph.addInitializer(t);
        return name;
    }

    public String scalar(float v) { return constFloat(new float[]{v}); }

    public String constLong(long[] values, long... shape) {
        String name = fresh("cl");
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(INT64);
        for (long s : shape) t.addDims(s);
        for (long v : values) t.addInt64Data(v);
        graph.addInitializer(t);
        return name;
    }

    /** A 1-D int64 constant. */
    public String longs(long... values) { return constLong(values, values.length); }

    public String scalarLong(long v) { return constLong(new long[]{v}); }

    // ---- generic node -------------------------------------------------------------------------

    public List<String> node(String op, List<String> inputs, int outputs, List<AttributeProto> attrs) {
        List<String> outs = new ArrayList<>();
        for (int i = 0; i < outputs; i++) outs.add(fresh(op.toLowerCase()));
        node(op, inputs, outs, attrs);
        return outs;
    }

    private void node(String op, List<String> inputs, List<String> outputs, List<AttributeProto> attrs) {
        graph.addNode(NodeProto.newBuilder().setOpType(op).setName(fresh("n_" + op)).addAllInput(inputs)
                .addAllOutput(outputs).addAllAttribute(attrs));
    }

    public String op(String op, String... inputs) { return node(op, List.of(inputs), 1, List.of()).getFirst(); }

    public String op(String op, List<AttributeProto> attrs, String... inputs) {
        return node(op, List.of(inputs), 1, attrs).getFirst();
    }

    public static AttributeProto attr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    public static AttributeProto attr(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(v)).build();
    }

    public static AttributeProto attr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    public static AttributeProto attrs(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) b.addInts(x);
        return b.build();
    }

    // ---- operators ----------------------------------------------------------------------------

    public String add(String a, String b) { return op("Add", a, b); }
    public String sub(String a, String b) { return op("Sub", a, b); }
    public String mul(String a, String b) { return op("Mul", a, b); }
    public String div(String a, String b) { return op("Div", a, b); }
    public String neg(String a) { return op("Neg", a); }
    public String tanh(String a) { return op("Tanh", a); }
    public String sigmoid(String a) { return op("Sigmoid", a); }
    public String erf(String a) { return op("Erf", a); }
    public String sqrt(String a) { return op("Sqrt", a); }
    public String reciprocal(String a) { return op("Reciprocal", a); }
    public String cos(String a) { return op("Cos", a); }
    public String sin(String a) { return op("Sin", a); }
    public String matmul(String a, String b) { return op("MatMul", a, b); }
    public String shape(String a) { return op("Shape", a); }
    public String reshape(String a, String shape) { return op("Reshape", a, shape); }

    public String shape(String a, long start, long end) {
        return op("Shape", List.of(attr("start", start), attr("end", end)), a);
    }

    /** C = A·Bᵀ (+ bias) when {@code transB}, else A·B (+ bias); A and B are 2-D. */
    public String gemm(String a, String b, String bias, boolean transB) {
        List<String> in = bias == null ? List.of(a, b) : List.of(a, b, bias);
        return node("Gemm", in, 1, List.of(attr("transB", transB ? 1 : 0))).getFirst();
    }

    public String transpose(String a, long... perm) { return op("Transpose", List.of(attrs("perm", perm)), a); }

    public String concat(long axis, String... parts) {
        return node("Concat", List.of(parts), 1, List.of(attr("axis", axis))).getFirst();
    }

    public String concat(long axis, List<String> parts) {
        return node("Concat", parts, 1, List.of(attr("axis", axis))).getFirst();
    }

    /** Slice along one axis with constant bounds. */
    public String slice(String a, long axis, long start, long end) {
        return op("Slice", a, longs(start), longs(end), longs(axis));
    }

    /** Slice along one axis with bounds given as 1-element int64 values. */
    public String slice(String a, long axis, String start, String end) {
        return op("Slice", a, start, end, longs(axis));
    }

    public String gather(String data, String indices, long axis) {
        return op("Gather", List.of(attr("axis", axis)), data, indices);
    }

    public String unsqueeze(String a, long... axes) { return op("Unsqueeze", a, longs(axes)); }

    public String squeeze(String a, long... axes) { return op("Squeeze", a, longs(axes)); }

    public String softmax(String a, long axis) { return op("Softmax", List.of(attr("axis", axis)), a); }

    public String reduceMean(String a, long axis) {
        return op("ReduceMean", List.of(attrs("axes", axis), attr("keepdims", 1)), a);
    }

    public String cast(String a, int to) { return op("Cast", List.of(attr("to", to)), a); }

    public String where(String cond, String a, String b) { return op("Where", cond, a, b); }

    public String layerNorm(String x, String w, String b, float eps) {
        return op("LayerNormalization", List.of(attr("axis", -1L), attr("epsilon", eps)), x, w, b);
    }

    public ModelProto build() {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("ortho")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph).build();
    }
}
