using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using LinkSecure.Core.Database;

namespace LinkSecure.Core.Internal;

/// <summary>
/// Walks a parsed JSON document and collects every problem with its JSON path, so that an administrator
/// sees all errors at once. Unknown properties are errors: in an admin's file a typo must not pass silently.
/// </summary>
internal sealed class JsonDocumentReader
{
    private readonly List<DocumentError> errors = new();

    public IReadOnlyList<DocumentError> Errors => errors;

    public bool HasErrors => errors.Count > 0;

    /// <summary>Reads at most <paramref name="maxBytes"/> from a stream and parses it (comments and trailing commas allowed).</summary>
    public static JsonDocument Parse(Stream stream, long maxBytes, string documentName)
    {
        if (stream is null)
        {
            throw new ArgumentNullException(nameof(stream));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new DocumentException(string.Format(CultureInfo.InvariantCulture, "{0} is larger than the limit of {1:N0} bytes.", documentName, maxBytes));
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            return JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 32 });
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? string.Format(CultureInfo.InvariantCulture, " (line {0}, byte {1})", line + 1, (ex.BytePositionInLine ?? 0) + 1) : string.Empty;
            throw new DocumentException($"{documentName} is not valid JSON{where}: {ex.Message}", new[] { new DocumentError("$", "not valid JSON" + where) });
        }
    }

    public void Error(string path, string message) => errors.Add(new DocumentError(path, message));

    public bool ExpectObject(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            return true;
        }

        Error(path, $"expected an object, found {Describe(element)}");
        return false;
    }

    /// <summary>Reports properties that are not in <paramref name="known"/>.</summary>
    public void CheckProperties(JsonElement obj, string path, params string[] known)
    {
        foreach (var property in obj.EnumerateObject())
        {
            if (Array.IndexOf(known, property.Name) < 0)
            {
                Error(Child(path, property.Name), $"unknown setting; expected one of: {string.Join(", ", known)}");
            }
        }
    }

    public static string Child(string path, string name) => path + "." + name;

    public static string Index(string path, int index) => path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    public static bool TryGet(JsonElement obj, string name, out JsonElement value)
    {
        if (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        value = default;
        return false;
    }

    public bool ReadBool(JsonElement obj, string path, string name, bool fallback)
    {
        if (!TryGet(obj, name, out var value))
        {
            return fallback;
        }

        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        Error(Child(path, name), $"expected true or false, found {Describe(value)}");
        return fallback;
    }

    public int ReadInt(JsonElement obj, string path, string name, int fallback, int min, int max)
    {
        if (!TryGet(obj, name, out var value))
        {
            return fallback;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number))
        {
            if (number >= min && number <= max)
            {
                return number;
            }

            Error(Child(path, name), string.Format(CultureInfo.InvariantCulture, "{0} is out of range; expected {1} to {2}", number, min, max));
            return fallback;
        }

        Error(Child(path, name), string.Format(CultureInfo.InvariantCulture, "expected a whole number from {0} to {1}, found {2}", min, max, Describe(value)));
        return fallback;
    }

    public string? ReadString(JsonElement obj, string path, string name, string? fallback, bool allowEmpty = false)
    {
        if (!TryGet(obj, name, out var value))
        {
            return fallback;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString()!;
            if (!allowEmpty && text.Trim().Length == 0)
            {
                Error(Child(path, name), "must not be empty");
                return fallback;
            }

            return text;
        }

        Error(Child(path, name), $"expected a string, found {Describe(value)}");
        return fallback;
    }

    public string? ReadEnum(JsonElement obj, string path, string name, string fallback, params string[] allowed)
    {
        var text = ReadString(obj, path, name, null);
        if (text is null)
        {
            return fallback;
        }

        foreach (var candidate in allowed)
        {
            if (string.Equals(candidate, text, StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }

        Error(Child(path, name), $"'{text}' is not allowed; expected one of: {string.Join(", ", allowed)}");
        return fallback;
    }

    public DateTimeOffset? ReadDate(JsonElement obj, string path, string name)
    {
        var text = ReadString(obj, path, name, null);
        if (text is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
        {
            return date;
        }

        Error(Child(path, name), $"'{text}' is not a date; expected ISO 8601, e.g. 2027-01-31 or 2027-01-31T00:00:00Z");
        return null;
    }

    public List<string> ReadStringArray(JsonElement obj, string path, string name)
    {
        var result = new List<string>();
        if (!TryGet(obj, name, out var value))
        {
            return result;
        }

        var arrayPath = Child(path, name);
        if (value.ValueKind != JsonValueKind.Array)
        {
            Error(arrayPath, $"expected an array of strings, found {Describe(value)}");
            return result;
        }

        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && item.GetString()!.Trim().Length > 0)
            {
                result.Add(item.GetString()!.Trim());
            }
            else
            {
                Error(Index(arrayPath, i), $"expected a non-empty string, found {Describe(item)}");
            }

            i++;
        }

        return result;
    }

    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Shorten(value.GetString()!)}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value.GetRawText()}",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Shorten(string text) => text.Length <= 60 ? text : text.Substring(0, 60) + "…";
}
