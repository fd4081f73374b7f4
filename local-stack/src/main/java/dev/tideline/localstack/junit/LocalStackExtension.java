package dev.tideline.localstack.junit;

import dev.tideline.localstack.LocalStack;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Starts one {@link LocalStack} per configuration per test JVM and resolves it, and a per-test
 * {@link TestNamespace}, as parameters.
 */
public final class LocalStackExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(LocalStackExtension.class);

    /**
     * Stored in the root context so the stack outlives each class and closes with the JVM's run.
     */
    private record SharedStack(LocalStack stack) implements AutoCloseable {
        @Override
        public void close() {
            stack.close();
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        stack(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == LocalStack.class || type == TestNamespace.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context)
            throws ParameterResolutionException {
        Class<?> type = parameter.getParameter().getType();
        if (type == LocalStack.class) {
            return stack(context);
        }
        return TestNamespace.next(
                context.getTestMethod().map(m -> m.getName()).orElse(context.getDisplayName()));
    }

    private static LocalStack stack(ExtensionContext context) {
        WithLocalStack config =
                context.getTestClass()
                        .flatMap(c -> AnnotationSupport.findAnnotation(c, WithLocalStack.class))
                        .orElseThrow(
                                () ->
                                        new ParameterResolutionException(
                                                "LocalStackExtension needs @WithLocalStack on the"
                                                        + " test class"));
        String key = "stack[registry=" + config.registry() + ",postgres=" + config.postgres() + "]";
        return context.getRoot()
                .getStore(NAMESPACE)
                .getOrComputeIfAbsent(key, k -> start(config), SharedStack.class)
                .stack();
    }

    private static SharedStack start(WithLocalStack config) {
        LocalStack.Builder builder = LocalStack.builder();
        if (!config.registry()) {
            builder.withoutRegistry();
        }
        if (!config.postgres()) {
            builder.withoutPostgres();
        }
        return new SharedStack(builder.start());
    }
}
