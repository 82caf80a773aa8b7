package dev.ortho.core.text;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The Python {@code str} methods chat templates call ({@code content.startswith('<tool_response>')},
 * {@code content.split('</think>')[-1].lstrip('\n')}, ...), which jinja2 gets from Python and Jinjava does not
 * have: Jinjava resolves a method on a Java String by reflection, where {@code startswith} does not exist and
 * {@code split} takes a regular expression. Only calls on strings with these names are handled here;
 * everything else falls through to Jinjava's own resolver.
 */
final class PythonStringMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || !(method instanceof String name)) return null;
        Object[] a = params == null ? new Object[0] : params;
        Object result = switch (name) {
            case "startswith" -> anyOf(a, 0, p -> s.startsWith(p));
            case "endswith" -> anyOf(a, 0, p -> s.endsWith(p));
            case "strip" -> strip(s, chars(a), true, true);
            case "lstrip" -> strip(s, chars(a), true, false);
            case "rstrip" -> strip(s, chars(a), false, true);
            case "split" -> split(s, a);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "replace" -> a.length >= 2 ? s.replace(String.valueOf(a[0]), String.valueOf(a[1])) : null;
            case "find" -> a.length >= 1 ? (long) s.indexOf(String.valueOf(a[0])) : null;
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            default -> null;
        };
        if (result != null) context.setPropertyResolved(true);
        return result;
    }

    private interface Test { boolean test(String prefix); }

    /** startswith/endswith take a string or a tuple of strings. */
    private static Boolean anyOf(Object[] a, int i, Test t) {
        if (a.length <= i) return null;
        if (a[i] instanceof Iterable<?> many) {
            for (Object o : many) if (t.test(String.valueOf(o))) return true;
            return false;
        }
        return t.test(String.valueOf(a[i]));
    }

    private static String chars(Object[] a) {
        return a.length == 0 || a[0] == null ? null : String.valueOf(a[0]);
    }

    private static boolean pySpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    private static String strip(String s, String chars, boolean left, boolean right) {
        int b = 0, e = s.length();
        while (left && b < e && (chars == null ? pySpace(s.charAt(b)) : chars.indexOf(s.charAt(b)) >= 0)) b++;
        while (right && e > b && (chars == null ? pySpace(s.charAt(e - 1)) : chars.indexOf(s.charAt(e - 1)) >= 0)) e--;
        return s.substring(b, e);
    }

    /** Python split: with no separator, runs of whitespace and no empty parts; with one, literal and exact. */
    private static List<String> split(String s, Object[] a) {
        String sep = a.length == 0 || a[0] == null ? null : String.valueOf(a[0]);
        long max = a.length >= 2 && a[1] instanceof Number n ? n.longValue() : -1;
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            while (i < s.length()) {
                while (i < s.length() && pySpace(s.charAt(i))) i++;
                if (i == s.length()) break;
                if (max >= 0 && out.size() == max) { out.add(strip(s.substring(i), null, false, true)); break; }
                int j = i;
                while (j < s.length() && !pySpace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        int from = 0;
        while (max < 0 || out.size() < max) {
            int at = s.indexOf(sep, from);
            if (at < 0) break;
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean prevLetter = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(prevLetter ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevLetter = Character.isLetter(c);
        }
        return sb.toString();
    }

    // Property access is not ours: Jinjava's resolver handles it.
    @Override public Class<?> getCommonPropertyType(ELContext context, Object base) { return null; }
    @Override public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) { return null; }
    @Override public Class<?> getType(ELContext context, Object base, Object property) { return null; }
    @Override public Object getValue(ELContext context, Object base, Object property) { return null; }
    @Override public boolean isReadOnly(ELContext context, Object base, Object property) { return true; }
    @Override public void setValue(ELContext context, Object base, Object property, Object value) {}
}
