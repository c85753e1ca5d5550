using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LinkSecure.Cli.Serve;

/// <summary>
/// The status API of <c>linksecure serve</c> (docs/serve.md): <c>GET /api/v1/recipients</c>, <c>GET /api/v1/policy</c>
/// and <c>GET /healthz</c>. Errors are <c>application/problem+json</c> (RFC 9457).
/// </summary>
internal sealed class StatusApi
{
    /// <summary>An <c>address</c> parameter longer than this is a malformed query, not an address (RFC 5321 allows 254).</summary>
    public const int MaxAddressParameterLength = 1024;

    private const int SchemaVersion = 1;

    private readonly LinkSecureSettings settings;
    private readonly RecipientStatusQuery query;
    private readonly ServeCounters counters;
    private readonly ILogger logger;
    private int stopping;

    public StatusApi(LinkSecureSettings settings, RecipientStatusQuery query, ServeCounters counters, ILogger logger)
    {
        this.settings = settings;
        this.query = query;
        this.counters = counters;
        this.logger = logger;
    }

    /// <summary>Makes <c>/healthz</c> answer 503 while the service stops.</summary>
    public void MarkStopping() => Interlocked.Exchange(ref stopping, 1);

    /// <summary>Writes an RFC 9457 problem.</summary>
    public static async Task WriteProblemAsync(HttpContext context, int status, string type, string title, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        context.Response.Headers.CacheControl = "no-store";
        await WriteJsonAsync(context, w =>
        {
            w.WriteString("type", "urn:linksecure:problem:" + type);
            w.WriteString("title", title);
            w.WriteNumber("status", status);
            w.WriteString("detail", detail);
        }).ConfigureAwait(false);
    }

    public async Task RecipientsAsync(HttpContext context)
    {
        var request = context.Request;
        string? levelText = null;
        string? fallbackText = null;
        var addresses = new List<StatusQueryItem>();
        try
        {
            foreach (var pair in QueryString.Parse(request.QueryString.Value))
            {
                switch (pair.Key)
                {
                    case "level":
                        levelText = levelText is null ? pair.Value : throw new FormatException("level is given more than once");
                        break;
                    case "fallback":
                        fallbackText = fallbackText is null ? pair.Value : throw new FormatException("fallback is given more than once");
                        break;
                    case "address":
                        if (pair.Value.Length > MaxAddressParameterLength)
                        {
                            throw new FormatException(string.Format(CultureInfo.InvariantCulture, "an address parameter is {0} characters long; an e-mail address has at most {1}", pair.Value.Length, RecipientStatusQuery.MaxAddressLength));
                        }

                        addresses.Add(StatusQueryItem.ForAddress(pair.Value));
                        break;
                    case "domain":
                        // Privacy (docs/addin.md): the add-in sends only the domains of its recipients.
                        if (pair.Value.Length > MaxAddressParameterLength)
                        {
                            throw new FormatException(string.Format(CultureInfo.InvariantCulture, "a domain parameter is {0} characters long; a domain has at most {1}", pair.Value.Length, RecipientStatusQuery.MaxDomainLength));
                        }

                        addresses.Add(StatusQueryItem.ForDomain(pair.Value));
                        break;
                }
            }
        }
        catch (FormatException ex)
        {
            await BadRequestAsync(context, "invalid-query", "Malformed query", ex.Message).ConfigureAwait(false);
            return;
        }

        if (levelText is null || levelText.Length != 1 || levelText[0] < '0' || levelText[0] > '4')
        {
            await BadRequestAsync(context, "invalid-level", "Invalid level", levelText is null ? "level is required: 0 to 4" : "level must be 0 to 4").ConfigureAwait(false);
            return;
        }

        var fallback = settings.Status.DefaultFallback;
        if (fallbackText is not null)
        {
            if (fallbackText is not ("bounce" or "safe-part"))
            {
                await BadRequestAsync(context, "invalid-fallback", "Invalid fallback", "fallback must be bounce or safe-part").ConfigureAwait(false);
                return;
            }

            fallback = fallbackText == "safe-part" ? FallbackAction.SafePart : FallbackAction.Bounce;
        }

        var maxBatch = settings.Status.MaxBatch;
        if (addresses.Count == 0 || addresses.Count > maxBatch)
        {
            var detail = addresses.Count == 0
                ? "at least one address or domain parameter is required"
                : string.Format(CultureInfo.InvariantCulture, "{0} addresses and domains; at most {1} per query", addresses.Count, maxBatch);
            await BadRequestAsync(context, addresses.Count == 0 ? "no-address" : "batch-too-large", "Invalid batch", detail).ConfigureAwait(false);
            return;
        }

        var level = levelText[0] - '0';

        // The request as the agent reads it from the header the add-in sets (RequestParser: the same parse).
        var linkRequest = level == 0
            ? LinkSecurityRequest.None
            : RequestParser.Parse(new[] { new KeyValuePair<string, string>(HeaderNames.LinkSecurity, string.Format(CultureInfo.InvariantCulture, "level={0}; fallback={1}", level, LinkSecurityRequest.FormatFallback(fallback))) });
        var statuses = await query.QueryAsync(linkRequest, addresses, settings.Status.Budget, context.RequestAborted).ConfigureAwait(false);
        counters.CountQuery();
        foreach (var status in statuses)
        {
            counters.CountEntry(status);
            if (logger.IsEnabled(LogLevel.Debug) && status.Domain is not null)
            {
                // Privacy: the domain only, never the address or who asked (docs/serve.md).
                logger.LogDebug("level {Level}: {Domain} {State} {Decision}", level, status.Domain, status.State, status.Verdict?.Decision.Kind);
            }
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await WriteJsonAsync(context, w =>
        {
            w.WriteNumber("schemaVersion", SchemaVersion);
            w.WriteNumber("level", level);
            w.WriteString("fallback", LinkSecurityRequest.FormatFallback(fallback));
            w.WriteStartArray("recipients");
            foreach (var status in statuses)
            {
                WriteStatus(w, status);
            }

            w.WriteEndArray();
        }).ConfigureAwait(false);
    }

    public Task PolicyAsync(HttpContext context)
    {
        var status = settings.Status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        return WriteJsonAsync(context, w =>
        {
            w.WriteNumber("schemaVersion", SchemaVersion);
            w.WriteString("headerName", HeaderNames.LinkSecurity);
            w.WriteString("subjectHeaderName", HeaderNames.LinkSecuritySubject);
            w.WriteNumber("defaultLevel", (int)status.DefaultLevel);
            w.WriteString("defaultFallback", LinkSecurityRequest.FormatFallback(status.DefaultFallback));
            w.WriteStartArray("levels");
            for (var level = 1; level <= 4; level++)
            {
                w.WriteNumberValue(level);
            }

            w.WriteEndArray();
            w.WriteStartArray("internalDomains");
            foreach (var domain in settings.InternalDomains)
            {
                w.WriteStringValue(domain);
            }

            w.WriteEndArray();
            w.WriteStartArray("labelRules");
            foreach (var rule in status.LabelRules)
            {
                w.WriteStartObject();
                w.WriteString("label", rule.Label);
                w.WriteNumber("level", (int)rule.Level);
                w.WriteString("fallback", LinkSecurityRequest.FormatFallback(rule.Fallback));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("maxBatch", status.MaxBatch);
            w.WriteNumber("pollAfterSeconds", status.PollAfterSeconds);
        });
    }

    public Task HealthAsync(HttpContext context)
    {
        var down = Volatile.Read(ref stopping) != 0;
        context.Response.StatusCode = down ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return WriteJsonAsync(context, w => w.WriteString("status", down ? "stopping" : "ok"));
    }

    private static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        context.Response.ContentLength = buffer.Length;
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted).ConfigureAwait(false);
    }

    private void WriteStatus(Utf8JsonWriter w, RecipientStatus status)
    {
        w.WriteStartObject();
        w.WriteString("address", status.Address);
        w.WriteString("domain", status.Domain);
        w.WriteString("state", status.State.ToString().ToLowerInvariant());
        w.WriteBoolean("internal", status.IsInternal);
        if (status.DomainLevel is { } domainLevel)
        {
            w.WriteNumber("domainLevel", (int)domainLevel);
        }
        else
        {
            w.WriteNull("domainLevel");
        }

        var decision = status.Verdict?.Decision;
        w.WriteString("decision", decision?.Kind.ToString());
        w.WriteString("statusCode", decision?.StatusCode?.Enhanced);
        w.WriteString("sentence", status.Sentence);
        w.WriteString("evidence", status.EvidenceSummary);
        if (status.ProfileAge is { } age)
        {
            w.WriteNumber("profileAgeSeconds", (long)age.TotalSeconds);
        }
        else
        {
            w.WriteNull("profileAgeSeconds");
        }

        if (status.State == RecipientState.Checking)
        {
            w.WriteNumber("retryAfterSeconds", settings.Status.PollAfterSeconds);
        }
        else
        {
            w.WriteNull("retryAfterSeconds");
        }

        w.WriteString("error", status.Error);
        w.WriteEndObject();
    }

    private Task BadRequestAsync(HttpContext context, string type, string title, string detail)
    {
        counters.CountBadRequest();
        return WriteProblemAsync(context, StatusCodes.Status400BadRequest, type, title, detail);
    }
}
