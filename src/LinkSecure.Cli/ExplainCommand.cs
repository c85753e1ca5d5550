using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Decisions;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Protocol;
using MimeKit;

namespace LinkSecure.Cli;

/// <summary><c>linksecure explain</c>: what the agent would decide for each recipient of a message.</summary>
internal sealed class ExplainCommand
{
    private readonly CommonOptions common = new();

    private readonly Argument<FileInfo> message = new("message")
    {
        Description = "The message (.eml, RFC 5322). Only its header is read.",
    };

    private readonly Option<string[]> recipients = new("--rcpt", "-r")
    {
        Description = "Envelope recipient address; repeat for several. Default: the To, Cc and Bcc addresses of the message.",
        AllowMultipleArgumentsPerToken = true,
    };

    private readonly Option<bool> json = new("--json")
    {
        Description = "Print the decisions as JSON (docs/cli.md) instead of a table.",
    };

    public Command Build()
    {
        var command = new Command("explain", "Show, for each recipient of a message, the link-security request, the recipient domain's level and evidence, and the decision (Pass, Secure, Bounce, Downgrade, Defer). Uses the configuration's overrides and the known-domain database, then the live resolver (DNS, MTA-STS, DANE, declared record, learned store) unless --offline.\n\nExit codes: 0 explained; 2 usage error (bad option, configuration, database or CA file); 4 the message cannot be read.");
        command.Arguments.Add(message);
        command.Options.Add(recipients);
        command.Options.Add(json);
        common.AddTo(command);
        common.AddNetworkTo(command);
        command.SetAction((result, cancellationToken) => RunAsync(result, cancellationToken));
        return command;
    }

    private async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var file = result.GetValue(message)!;
        var settings = common.ApplyNetworkOverrides(result, common.LoadSettings(result));
        var database = common.LoadDatabase(result, settings);

        HeaderList headers;
        try
        {
            using var stream = file.OpenRead();
            headers = await HeaderList.LoadAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            await Console.Error.WriteLineAsync($"linksecure explain: cannot read the message {file.FullName}: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.BadMessage;
        }

        var addresses = result.GetValue(recipients) is { Length: > 0 } given ? given : RecipientsFromHeaders(headers);
        if (addresses.Length == 0)
        {
            throw new UsageException("The message has no To, Cc or Bcc address; name recipients with --rcpt.");
        }

        var request = RequestParser.Parse(headers);
        using var network = common.CreateNetworkSource(result, settings);

        // The agent's own code decides: the same stack and message handler. The CLI knows no host-internal recipients
        // (internalDomains still applies) and treats the message as just received.
        var stack = DecisionStack.Create(settings, database, network);
        var handled = await stack.Messages.DecideAsync(
            request,
            addresses.Select(a => new MessageRecipient(a, hostSaysInternal: false)).ToArray(),
            MessageAge.Unknown,
            LookupBudget(settings),
            cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var decisions = handled.Recipients.Select(v => v.Decision).ToList();

        if (result.GetValue(json))
        {
            WriteJson(Console.Out, headers, request, decisions, settings.Routing);
        }
        else
        {
            WriteText(Console.Out, headers, request, decisions, settings);
        }

        return ExitCodes.Ok;
    }

    /// <summary>How long explain waits for the lookups of all recipients together: each domain's own budget
    /// (<c>resolver.budgetMilliseconds</c>) plus 5 s, so a lookup that runs out of time reports its own reason.</summary>
    internal static TimeSpan LookupBudget(LinkSecureSettings settings) => settings.Resolver.Budget + TimeSpan.FromSeconds(5);

    internal static string[] RecipientsFromHeaders(HeaderList headers)
    {
        var list = new List<string>();
        foreach (var id in new[] { HeaderId.To, HeaderId.Cc, HeaderId.Bcc })
        {
            foreach (var header in headers.Where(h => h.Id == id))
            {
                if (InternetAddressList.TryParse(header.Value, out var parsed))
                {
                    list.AddRange(parsed.Mailboxes.Select(m => m.Address));
                }
            }
        }

        return list.Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
    }

    internal static string DescribeDecision(RecipientDecision d) => d.Kind switch
    {
        DecisionKind.Secure => $"Secure via {d.Route}",
        DecisionKind.Bounce => $"Bounce {d.StatusCode}",
        DecisionKind.Defer => $"Defer {d.StatusCode}, retry in {d.RetryAfter?.TotalMinutes:0} min",
        DecisionKind.Downgrade => "Downgrade to safe part",
        _ => "Pass",
    };

    private static void WriteText(TextWriter output, HeaderList headers, LinkSecurityRequest request, IReadOnlyList<RecipientDecision> decisions, LinkSecureSettings settings)
    {
        output.WriteLine($"Message-ID: {headers[HeaderId.MessageId] ?? "(none)"}");
        output.WriteLine($"From:       {headers[HeaderId.From] ?? "(none)"}");
        output.WriteLine($"Request:    {request} [{request.Sources}]");
        foreach (var warning in request.Warnings)
        {
            output.WriteLine($"Warning:    {warning}");
        }

        foreach (var warning in TrustText.SettingsWarnings(settings))
        {
            output.WriteLine($"Warning:    {warning}");
        }

        output.WriteLine();
        var table = new TextTable("RECIPIENT", "DOMAIN", "LEVEL", "DECISION", "WHY");
        foreach (var d in decisions)
        {
            table.Add(d.Recipient, d.Domain ?? "-", d.Profile is null ? "-" : ((int)d.Level).ToString(System.Globalization.CultureInfo.InvariantCulture), DescribeDecision(d), d.Reason);
        }

        table.Write(output);
        output.WriteLine();
        foreach (var d in decisions.Where(d => d.Profile is not null))
        {
            output.WriteLine($"{d.Recipient}:");
            foreach (var evidence in d.Profile!.Evidence)
            {
                output.WriteLine($"  evidence:  {TrustText.Evidence(evidence)}");
            }

            if (d.UserExplanation is not null)
            {
                output.WriteLine($"  sender sees: {d.UserExplanation}");
            }

            if (TrustText.RouteOf(d, settings.Routing) is { } route)
            {
                output.WriteLine($"  route:     {TrustText.Route(route)}");
            }

            if (TrustText.IsUnverifiable(d))
            {
                output.WriteLine($"  fallback:  {TrustText.UnverifiableNote(d)}: {d.TechnicalDetail}");
            }
            else if (d.Route is null && d.TechnicalDetail is not null)
            {
                output.WriteLine($"  detail:    {d.TechnicalDetail}");
            }
        }
    }

    private static void WriteJson(TextWriter output, HeaderList headers, LinkSecurityRequest request, IReadOnlyList<RecipientDecision> decisions, RoutingSettings routing)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("messageId", headers[HeaderId.MessageId]);
            writer.WriteStartObject("request");
            writer.WriteNumber("level", (int)request.Level);
            writer.WriteString("fallback", LinkSecurityRequest.FormatFallback(request.Fallback));
            writer.WriteBoolean("waiver", request.IsWaiver);
            writer.WriteString("sources", request.Sources.ToString());
            writer.WriteStartArray("warnings");
            foreach (var warning in request.Warnings)
            {
                writer.WriteStringValue(warning);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteStartArray("recipients");
            foreach (var d in decisions)
            {
                JsonOutput.WriteDecision(writer, d, routing);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
