package dev.omnigen2.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

import jdk.incubator.vector.VectorSpecies;

/**
 * One compiled copy of a kernel template per float species.
 *
 * <p>The Vector API becomes machine instructions only when the species is a compile-time constant; a species in
 * a variable (such as {@link Vectors#floats()}, chosen at run time) falls back to boxed code a hundred times
 * slower. A template class reads its species into a {@code static final} field from the class data of a hidden
 * class; {@link #of} defines one hidden copy per (template, species), so the JIT sees a constant in each.
 * Templates must not contain lambdas or nested classes (those would refer to the template, not the copy).
 */
final class SpeciesTemplates {
    private SpeciesTemplates() {}

    private static final ConcurrentHashMap<List<Object>, Object> DEFINED = new ConcurrentHashMap<>();

    static <T> T of(Class<T> iface, Class<? extends T> template, VectorSpecies<Float> species) {
        return iface.cast(DEFINED.computeIfAbsent(List.of(template, species), key -> define(template, species)));
    }

    private static Object define(Class<?> template, VectorSpecies<Float> species) {
        String file = template.getSimpleName() + ".class";
        try (InputStream in = template.getResourceAsStream(file)) {
            if (in == null) throw new IllegalStateException(file + " not found on the class path");
            MethodHandles.Lookup hidden = MethodHandles.lookup().defineHiddenClassWithClassData(in.readAllBytes(), species, true);
            return hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class)).invoke();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read kernel template " + file, e);
        } catch (Throwable e) {
            throw new IllegalStateException("cannot define " + template.getSimpleName() + " for " + species, e);
        }
    }

    /** The species a template copy was defined with (call from the template's static initialiser). */
    @SuppressWarnings("unchecked")
    static VectorSpecies<Float> classData(MethodHandles.Lookup lookup) {
        try {
            return MethodHandles.classData(lookup, java.lang.constant.ConstantDescs.DEFAULT_NAME, VectorSpecies.class);
        } catch (IllegalAccessException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
