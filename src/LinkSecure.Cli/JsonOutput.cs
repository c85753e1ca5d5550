using System.Globalization;
using System.Text.Json;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Profiles;

namespace LinkSecure.Cli;

/// <summary>JSON shapes shared by commands (docs/cli.md, "JSON output").</summary>
internal static class JsonOutput
{
    /// <summary>One decision. <c>route</c> is written for a Secure decision, and for a fallback taken because the
    /// route does not authenticate the server (the route that would have been used).</summary>
    public static void WriteDecision(Utf8JsonWriter writer, RecipientDecision d, RoutingSettings routing)
    {
        writer.WriteStartObject();
        writer.WriteString("recipient", d.Recipient);
        writer.WriteString("domain", d.Domain);
        if (d.Profile is null)
        {
            writer.WriteNull("level");
        }
        else
        {
            writer.WriteNumber("level", (int)d.Level);
        }

        writer.WriteString("decision", d.Kind.ToString());
        writer.WriteString("reason", d.Reason);
        writer.WriteString("status", d.StatusCode?.ToString());
        writer.WriteString("explanation", d.UserExplanation);
        writer.WriteString("detail", d.TechnicalDetail);
        if (d.RetryAfter is { } retry)
        {
            writer.WriteNumber("retryAfterMinutes", (int)retry.TotalMinutes);
        }

        if (TrustText.RouteOf(d, routing) is { } route)
        {
            writer.WriteStartObject("route");
            writer.WriteString("routingDomain", route.RoutingDomain);
            writer.WriteString("kind", route.Kind.ToString());
            writer.WriteString("tlsAuthLevel", route.TlsAuthLevel);
            writer.WriteString("tlsDomain", route.TlsDomain);
            writer.WriteBoolean("authenticates", route.Authenticates);
            writer.WriteString("note", route.Note);
            writer.WriteEndObject();
        }

        writer.WriteBoolean("unauthenticatedRouteFallback", TrustText.IsUnverifiable(d));

        if (d.Profile is { } profile)
        {
            WriteProfile(writer, "profile", profile);
            writer.WriteStartObject("relayPolicy");
            writer.WriteString("linksecure", Core.Relay.TlsPolicyMap.StrictAnswer(profile).Text.TrimEnd());
            writer.WriteString("postfix", Core.Relay.TlsPolicyMap.CompatibleAnswer(profile).Text.TrimEnd());
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    public static void WriteProfile(Utf8JsonWriter writer, string name, DomainProfile profile)
    {
        writer.WriteStartObject(name);
        writer.WriteString("domain", profile.Domain);
        writer.WriteNumber("level", (int)profile.Level);
        writer.WriteString("status", profile.Status.ToString());
        writer.WriteString("failureReason", profile.FailureReason);
        writer.WriteString("tlsMode", profile.Tls.Mode.ToString());
        writer.WriteStartArray("mxPatterns");
        foreach (var pattern in profile.Tls.MxPatterns)
        {
            writer.WriteStringValue(pattern);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("evidence");
        foreach (var e in profile.Evidence)
        {
            writer.WriteStartObject();
            writer.WriteString("source", e.Source.ToString());
            writer.WriteString("detail", e.Detail);
            writer.WriteNumber("supportsLevel", (int)e.SupportsLevel);
            writer.WriteBoolean("authenticated", e.Authenticated);
            writer.WriteString("expires", e.Expires?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
