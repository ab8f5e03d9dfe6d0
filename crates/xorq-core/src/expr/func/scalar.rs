//! The built-in scalar functions. Names are DataFusion's where the IR had no name of its own
//! before (the first 45 kept theirs: `length`, `trim`, `strftime`, `sign`, the date parts, …).

use super::rules;
use super::typing::{Ints, Param as P, Ret as R, Ty as T, optional, params};
use super::{FunctionDef as F, Nulls, ScalarFunc, builtins};

const TEXT_TO_TEXT: super::Typing = params(&[P::Text], R::Fixed(T::String));
const TEXT_TO_INT: super::Typing = params(&[P::Text], R::Fixed(T::Int32));
const TEXT2_TO_BOOL: super::Typing = params(&[P::Text, P::Text], R::Fixed(T::Boolean));
const TRIM: super::Typing = optional(&[P::Text, P::Text], 1, R::Fixed(T::String));
const FLOAT: super::Typing = params(&[P::Float], R::Arg(0));
const FLOAT_OR_DECIMAL: super::Typing = params(&[P::FloatOrDecimal], R::Arg(0));
const HASH: super::Typing = params(&[P::TextOrBinary], R::Fixed(T::Binary));
const INT64: P = P::Int(Ints::Lossless, T::Int64);

builtins! {
    ScalarFunc {
        // Text.
        /// Upper-case.
        UPPER = F::scalar("upper", TEXT_TO_TEXT, "Upper-case");
        /// Lower-case.
        LOWER = F::scalar("lower", TEXT_TO_TEXT, "Lower-case");
        /// Length in characters (any value is read as its text).
        LENGTH = F::scalar("length", params(&[P::AnyText], R::Fixed(T::Int32)), "Length in characters");
        /// Strips spaces (or the given characters) on both ends.
        TRIM = F::scalar("trim", TRIM, "Strip spaces, or the given characters, on both ends");
        /// Strips leading spaces (or characters).
        LTRIM = F::scalar("ltrim", TRIM, "Strip leading spaces, or the given characters");
        /// Strips trailing spaces (or characters).
        RTRIM = F::scalar("rtrim", TRIM, "Strip trailing spaces, or the given characters");
        /// `substr(s, start[, length])`, 1-based.
        SUBSTRING = F::scalar(
            "substr",
            optional(&[P::Text, P::Int(Ints::Wide, T::Int64), P::Int(Ints::Wide, T::Int64)], 2, R::Fixed(T::String)),
            "Characters from a 1-based start, optionally of a given length"
        );
        /// Replaces every occurrence.
        REPLACE = F::scalar("replace", params(&[P::Text, P::Text, P::Text], R::Fixed(T::String)), "Replace every occurrence");
        /// Whether the text contains a substring.
        CONTAINS = F::scalar("contains", TEXT2_TO_BOOL, "Whether the text contains a substring");
        /// Whether the text starts with a prefix.
        STARTS_WITH = F::scalar("starts_with", TEXT2_TO_BOOL, "Whether the text starts with a prefix");
        /// Whether the text ends with a suffix.
        ENDS_WITH = F::scalar("ends_with", TEXT2_TO_BOOL, "Whether the text ends with a suffix");
        /// Concatenation, null when any argument is null (SQL's `||`).
        CONCAT = F::scalar("concat", rules::CONCAT, "Concatenation, null when any part is null (SQL's `||`)");
        /// `LIKE` pattern match (`\` escapes a wildcard).
        LIKE = F::scalar("like", rules::LIKE, "SQL `LIKE` (`_`, `%` wildcards; `\\` escapes them)");
        /// Case-insensitive `LIKE`.
        ILIKE = F::scalar("ilike", rules::LIKE, "Case-insensitive SQL `LIKE`");
        /// `SIMILAR TO` regular-expression match.
        SIMILAR_TO = F::scalar("similar_to", rules::SIMILAR_TO, "SQL `SIMILAR TO`: the whole text matches a regular expression");
        /// 1-based position of a substring, 0 if absent.
        STRPOS = F::scalar("strpos", params(&[P::Text, P::Text], R::Fixed(T::Int32)), "1-based position of a substring, 0 if absent");
        /// Left-pads to a length.
        LPAD = F::scalar("lpad", optional(&[P::AnyText, INT64, P::AnyText], 2, R::Fixed(T::String)), "Left-pad to a length");
        /// Right-pads to a length.
        RPAD = F::scalar("rpad", optional(&[P::AnyText, INT64, P::AnyText], 2, R::Fixed(T::String)), "Right-pad to a length");
        /// Reverses the characters.
        REVERSE = F::scalar("reverse", params(&[P::AnyText], R::Fixed(T::String)), "Reverse the characters");
        /// Code of the first character.
        ASCII = F::scalar("ascii", TEXT_TO_INT, "Code point of the first character");
        /// Length in bits.
        BIT_LENGTH = F::scalar("bit_length", TEXT_TO_INT, "Length in bits");
        /// Length in bytes.
        OCTET_LENGTH = F::scalar("octet_length", TEXT_TO_INT, "Length in bytes");
        /// The character with a code point.
        CHR = F::scalar("chr", params(&[INT64], R::Fixed(T::String)), "The character with a code point");
        /// Concatenation with a separator, skipping nulls.
        CONCAT_WS = F::scalar("concat_ws", rules::CONCAT_WS, "Concatenation with a separator, skipping null parts");
        /// Capitalizes each word.
        INITCAP = F::scalar("initcap", TEXT_TO_TEXT, "Capitalize the first letter of each word");
        /// The first n characters.
        LEFT = F::scalar("left", params(&[P::AnyText, INT64], R::Fixed(T::String)), "The first n characters (all but the last -n when negative)");
        /// The last n characters.
        RIGHT = F::scalar("right", params(&[P::AnyText, INT64], R::Fixed(T::String)), "The last n characters (all but the first -n when negative)");
        /// Edit distance.
        LEVENSHTEIN = F::scalar("levenshtein", params(&[P::Text, P::Text], R::Fixed(T::Int32)), "Levenshtein edit distance");
        /// The text repeated n times.
        REPEAT = F::scalar("repeat", params(&[P::Text, P::Int(Ints::All, T::Int64)], R::Fixed(T::String)), "The text repeated n times");
        /// The n-th field of a split.
        SPLIT_PART = F::scalar(
            "split_part",
            params(&[P::Text, P::Text, P::Int(Ints::All, T::Int64)], R::Fixed(T::String)),
            "The n-th part (1-based; negative from the end) after splitting on a delimiter"
        );
        /// Hexadecimal text of an integer.
        TO_HEX = F::scalar("to_hex", params(&[P::Integer], R::Fixed(T::String)), "Hexadecimal text of an integer");
        /// Replaces characters by position in two lists.
        TRANSLATE = F::scalar(
            "translate",
            params(&[P::AnyText, P::AnyText, P::AnyText], R::Fixed(T::String)),
            "Replace each character found in the second text with the one at the same position in the third"
        );
        /// Position in a comma-separated list.
        FIND_IN_SET = F::scalar(
            "find_in_set",
            params(&[P::AnyText, P::AnyText], R::Fixed(T::Int32)),
            "1-based position of a text in a comma-separated list, 0 if absent"
        );
        /// The text before the n-th delimiter.
        SUBSTR_INDEX = F::scalar(
            "substr_index",
            params(&[P::AnyText, P::AnyText, P::Int(Ints::Lossless, T::Int64)], R::Fixed(T::String)),
            "The text before the n-th occurrence of a delimiter (after the n-th from the end when negative)"
        );
        /// Replaces a range of characters.
        OVERLAY = F::scalar(
            "overlay",
            optional(&[P::AnyText, P::AnyText, P::Int(Ints::Lossless, T::Int64), P::Int(Ints::Lossless, T::Int64)], 3, R::Fixed(T::String)),
            "Replace the characters from a position (for a length) with another text"
        );

        // Hashing and encoding.
        /// MD5 digest as hexadecimal text.
        MD5 = F::scalar("md5", params(&[P::TextOrBinary], R::Fixed(T::String)), "MD5 digest, as hexadecimal text");
        /// SHA-224 digest.
        SHA224 = F::scalar("sha224", HASH, "SHA-224 digest");
        /// SHA-256 digest.
        SHA256 = F::scalar("sha256", HASH, "SHA-256 digest");
        /// SHA-384 digest.
        SHA384 = F::scalar("sha384", HASH, "SHA-384 digest");
        /// SHA-512 digest.
        SHA512 = F::scalar("sha512", HASH, "SHA-512 digest");
        /// A digest by algorithm name.
        DIGEST = F::scalar("digest", params(&[P::TextOrBinary, P::Text], R::Fixed(T::Binary)), "Digest by algorithm name (md5, sha224, sha256, sha384, sha512, blake2s, blake2b, blake3)");
        /// Bytes as text in an encoding.
        ENCODE = F::scalar("encode", params(&[P::Bytes, P::Text], R::Fixed(T::String)), "Bytes as text in `base64` or `hex`");
        /// Text in an encoding as bytes.
        DECODE = F::scalar("decode", params(&[P::Bytes, P::Text], R::Fixed(T::Binary)), "Text in `base64` or `hex` as bytes");

        // Regular expressions.
        /// Whether the text matches a regular expression.
        REGEXP_LIKE = F::scalar("regexp_like", optional(&[P::Text, P::Text, P::Text], 2, R::Fixed(T::Boolean)), "Whether the text matches a regular expression (with optional flags)");
        /// Number of matches.
        REGEXP_COUNT = F::scalar(
            "regexp_count",
            optional(&[P::AnyText, P::AnyText, P::Int(Ints::Lossless, T::Int64), P::AnyText], 2, R::Fixed(T::Int64)),
            "Number of matches of a regular expression (from a start position, with flags)"
        );
        /// Position of a match.
        REGEXP_INSTR = F::scalar(
            "regexp_instr",
            optional(
                &[P::AnyText, P::AnyText, P::Int(Ints::Lossless, T::Int64), P::Int(Ints::Lossless, T::Int64), P::AnyText, P::Int(Ints::Lossless, T::Int64)],
                2,
                R::Fixed(T::Int64)
            ),
            "1-based position of the n-th match of a regular expression, 0 if none"
        );
        /// Replaces matches.
        REGEXP_REPLACE = F::scalar(
            "regexp_replace",
            optional(&[P::AnyText, P::AnyText, P::AnyText, P::AnyText], 3, R::Fixed(T::String)),
            "Replace matches of a regular expression (the first, or all with flag `g`)"
        );

        // Date and time.
        /// Year.
        YEAR = F::scalar("year", rules::DATE_PART_FN, "Year");
        /// Month (1–12).
        MONTH = F::scalar("month", rules::DATE_PART_FN, "Month (1-12)");
        /// Day of month (1–31).
        DAY = F::scalar("day", rules::DATE_PART_FN, "Day of month (1-31)");
        /// Hour (0–23).
        HOUR = F::scalar("hour", rules::DATE_PART_FN, "Hour (0-23)");
        /// Minute (0–59).
        MINUTE = F::scalar("minute", rules::DATE_PART_FN, "Minute (0-59)");
        /// Second (0–59).
        SECOND = F::scalar("second", rules::DATE_PART_FN, "Second (0-59)");
        /// Day of week, 0 = Sunday.
        DAY_OF_WEEK = F::scalar("day_of_week", rules::DATE_PART_FN, "Day of week, 0 = Sunday");
        /// Day of year (1–366).
        DAY_OF_YEAR = F::scalar("day_of_year", rules::DATE_PART_FN, "Day of year (1-366)");
        /// Quarter (1–4).
        QUARTER = F::scalar("quarter", rules::DATE_PART_FN, "Quarter (1-4)");
        /// Any other part of a date, time, timestamp or interval.
        DATE_PART = F::scalar("date_part", rules::DATE_PART, "A part of a date, time, timestamp or interval by name (`week`, `epoch`, `millisecond`, …)").constants(&[0]);
        /// Truncates to a unit.
        DATE_TRUNC = F::scalar("date_trunc", rules::DATE_TRUNC, "Truncate a timestamp or time to a unit (`date_trunc('month', ts)`)").constants(&[0]);
        /// Formats with a `strftime` pattern.
        STRFTIME = F::scalar("strftime", rules::TO_CHAR, "Format a date, time, timestamp or duration with a chrono `strftime` pattern");
        /// Buckets timestamps into intervals.
        DATE_BIN = F::scalar("date_bin", rules::DATE_BIN, "Start of the interval-wide bin a timestamp falls in (from an origin)");
        /// Seconds since the epoch as a timestamp.
        FROM_UNIXTIME = F::scalar("from_unixtime", rules::FROM_UNIXTIME, "Seconds since the Unix epoch as a timestamp (in a time zone)").constants(&[1]);
        /// A date from year, month and day.
        MAKE_DATE = F::scalar("make_date", rules::MAKE_DATE, "A date from year, month and day");
        /// A time from hour, minute and second.
        MAKE_TIME = F::scalar("make_time", rules::MAKE_TIME, "A time of day from hour, minute and second");
        /// Text (or days) as a date.
        TO_DATE = F::scalar("to_date", rules::TO_DATE, "Text (with optional chrono formats) or days since the epoch as a date");
        /// Text as a time of day.
        TO_TIME = F::scalar("to_time", rules::TO_TIME, "Text (with optional chrono formats) as a time of day");
        /// Text or a number as a nanosecond timestamp.
        TO_TIMESTAMP = F::scalar("to_timestamp", rules::TO_TIMESTAMP_NS, "Text (with optional formats) or seconds as a nanosecond timestamp");
        /// Text or a number as a second timestamp.
        TO_TIMESTAMP_SECONDS = F::scalar("to_timestamp_seconds", rules::TO_TIMESTAMP_S, "Text (with optional formats) or seconds as a second timestamp");
        /// Text or a number as a millisecond timestamp.
        TO_TIMESTAMP_MILLIS = F::scalar("to_timestamp_millis", rules::TO_TIMESTAMP_MS, "Text (with optional formats) or milliseconds as a millisecond timestamp");
        /// Text or a number as a microsecond timestamp.
        TO_TIMESTAMP_MICROS = F::scalar("to_timestamp_micros", rules::TO_TIMESTAMP_US, "Text (with optional formats) or microseconds as a microsecond timestamp");
        /// Text or a number as a nanosecond timestamp.
        TO_TIMESTAMP_NANOS = F::scalar("to_timestamp_nanos", rules::TO_TIMESTAMP_NS, "Text (with optional formats) or nanoseconds as a nanosecond timestamp");
        /// Seconds since the epoch.
        TO_UNIXTIME = F::scalar("to_unixtime", rules::TO_UNIXTIME, "Seconds since the Unix epoch of a timestamp, date or text");
        /// A zoned timestamp as local wall-clock time.
        TO_LOCAL_TIME = F::scalar("to_local_time", rules::TO_LOCAL_TIME, "A zoned timestamp as the wall-clock time of its zone, without a zone");

        // Math.
        /// Absolute value.
        ABS = F::scalar("abs", params(&[P::Number], R::Arg(0)), "Absolute value");
        /// Rounds to a number of decimal places.
        ROUND = F::scalar("round", rules::ROUND, "Round half away from zero to a number of decimal places (0 if omitted)");
        /// Truncates toward zero to a number of decimal places.
        TRUNC = F::scalar("trunc", optional(&[P::FloatOrDecimal, P::Int(Ints::All, T::Int64)], 1, R::Arg(0)), "Truncate toward zero to a number of decimal places (0 if omitted)");
        /// Largest integral value not greater.
        FLOOR = F::scalar("floor", FLOAT_OR_DECIMAL, "Largest integral value not greater");
        /// Smallest integral value not less.
        CEIL = F::scalar("ceil", FLOAT_OR_DECIMAL, "Smallest integral value not less");
        /// Square root.
        SQRT = F::scalar("sqrt", FLOAT, "Square root");
        /// Cube root.
        CBRT = F::scalar("cbrt", FLOAT, "Cube root");
        /// e to the power.
        EXP = F::scalar("exp", FLOAT, "e to the power");
        /// Natural logarithm.
        LN = F::scalar("ln", FLOAT, "Natural logarithm");
        /// Base-10 logarithm.
        LOG10 = F::scalar("log10", FLOAT, "Base-10 logarithm");
        /// Base-2 logarithm.
        LOG2 = F::scalar("log2", FLOAT, "Base-2 logarithm");
        /// Logarithm, base 10 or the given base.
        LOG = F::scalar("log", rules::LOG, "Base-10 logarithm, or `log(base, x)`");
        /// `base ^ exponent`.
        POWER = F::scalar("power", params(&[P::Float64, P::Float64], R::Fixed(T::Float64)), "`base ^ exponent`");
        /// -1, 0 or 1.
        SIGN = F::scalar("sign", FLOAT, "-1, 0 or 1 by the sign");
        /// Sine.
        SIN = F::scalar("sin", FLOAT, "Sine (radians)");
        /// Cosine.
        COS = F::scalar("cos", FLOAT, "Cosine (radians)");
        /// Tangent.
        TAN = F::scalar("tan", FLOAT, "Tangent (radians)");
        /// Cotangent.
        COT = F::scalar("cot", FLOAT, "Cotangent (radians)");
        /// Arc sine.
        ASIN = F::scalar("asin", FLOAT, "Arc sine");
        /// Arc cosine.
        ACOS = F::scalar("acos", FLOAT, "Arc cosine");
        /// Arc tangent.
        ATAN = F::scalar("atan", FLOAT, "Arc tangent");
        /// Arc tangent of y / x.
        ATAN2 = F::scalar("atan2", rules::FLOAT_PAIR, "Arc tangent of y / x, by quadrant");
        /// Hyperbolic sine.
        SINH = F::scalar("sinh", FLOAT, "Hyperbolic sine");
        /// Hyperbolic cosine.
        COSH = F::scalar("cosh", FLOAT, "Hyperbolic cosine");
        /// Hyperbolic tangent.
        TANH = F::scalar("tanh", FLOAT, "Hyperbolic tangent");
        /// Inverse hyperbolic sine.
        ASINH = F::scalar("asinh", FLOAT, "Inverse hyperbolic sine");
        /// Inverse hyperbolic cosine.
        ACOSH = F::scalar("acosh", FLOAT, "Inverse hyperbolic cosine");
        /// Inverse hyperbolic tangent.
        ATANH = F::scalar("atanh", FLOAT, "Inverse hyperbolic tangent");
        /// Radians to degrees.
        DEGREES = F::scalar("degrees", FLOAT, "Radians to degrees");
        /// Degrees to radians.
        RADIANS = F::scalar("radians", FLOAT, "Degrees to radians");
        /// π.
        PI = F::scalar("pi", params(&[], R::Fixed(T::Float64)), "π").nulls(Nulls::Never);
        /// n!.
        FACTORIAL = F::scalar("factorial", params(&[INT64], R::Fixed(T::Int64)), "n!");
        /// Greatest common divisor.
        GCD = F::scalar("gcd", rules::GCD, "Greatest common divisor");
        /// Least common multiple.
        LCM = F::scalar("lcm", rules::GCD, "Least common multiple");
        /// Whether a number is NaN.
        ISNAN = F::scalar("isnan", params(&[P::NumberOrNull], R::Fixed(T::Boolean)), "Whether a number is NaN");
        /// Whether a number is zero.
        ISZERO = F::scalar("iszero", params(&[P::NumberOrNull], R::Fixed(T::Boolean)), "Whether a number is zero");
        /// The second number where the first is NaN.
        NANVL = F::scalar("nanvl", rules::FLOAT_PAIR, "The first number, or the second where the first is NaN");

        // Conditional.
        /// Largest argument, ignoring nulls.
        GREATEST = F::scalar("greatest", rules::GREATEST, "Largest argument, ignoring nulls").nulls(Nulls::AllArguments);
        /// Smallest argument, ignoring nulls.
        LEAST = F::scalar("least", rules::GREATEST, "Smallest argument, ignoring nulls").nulls(Nulls::AllArguments);
        /// First non-null argument.
        COALESCE = F::scalar("coalesce", rules::COALESCE, "First non-null argument").nulls(Nulls::AllArguments);
        /// Null if both arguments are equal, else the first.
        NULLIF = F::scalar("nullif", rules::NULLIF, "Null where both arguments are equal, else the first").nulls(Nulls::Introduces);
        /// The second argument where the first is null.
        NVL = F::scalar("nvl", rules::NVL, "The first argument, or the second where the first is null").nulls(Nulls::AllArguments);
        /// The second argument where the first is not null, else the third.
        NVL2 = F::scalar("nvl2", rules::NVL2, "The second argument where the first is not null, else the third").nulls(Nulls::Introduces);
    }
}
