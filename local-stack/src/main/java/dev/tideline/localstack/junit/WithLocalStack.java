package dev.tideline.localstack.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test class against the shared local stack of this test JVM.
 *
 * <p>One stack per distinct configuration is started on first use and stopped when the JVM's tests
 * are done. Test methods receive the {@link dev.tideline.localstack.LocalStack} and a fresh {@link
 * TestNamespace} as parameters, so tests sharing the stack never share topics. Classes so annotated
 * are integration tests: they carry the {@code integration} tag.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@Tag("integration")
@ExtendWith(LocalStackExtension.class)
public @interface WithLocalStack {

    /** Whether the stack includes PostgreSQL. */
    boolean postgres() default false;

    /** Whether the stack includes the schema registry. */
    boolean registry() default true;
}
