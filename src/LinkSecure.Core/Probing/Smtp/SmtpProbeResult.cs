using System;
using System.Collections.Generic;
using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Probing;

/// <summary>What a probe saw at one MX address: the conversation step by step, the TLS session and the EHLO
/// keywords, and its conclusion.</summary>
public sealed class SmtpProbeResult
{
    internal SmtpProbeResult(SmtpProbeTarget target, int port)
    {
        Host = target.Host;
        Address = target.Address.ToString();
        Port = port;
    }

    /// <summary>Gets the MX host name.</summary>
    public string Host { get; }

    /// <summary>Gets the address probed.</summary>
    public string Address { get; }

    /// <summary>Gets the port probed.</summary>
    public int Port { get; }

    /// <summary>Gets the conclusion.</summary>
    public SmtpProbeOutcome Outcome { get; internal set; } = SmtpProbeOutcome.Inconclusive;

    /// <summary>Gets the step the conversation reached: <see cref="SmtpProbeStage.Completed"/>, or where it stopped.</summary>
    public SmtpProbeStage Stage { get; internal set; } = SmtpProbeStage.Connect;

    /// <summary>Gets what went wrong at <see cref="Stage"/>, or <see langword="null"/>.</summary>
    public string? Error { get; internal set; }

    /// <summary>Gets when the probe started.</summary>
    public DateTimeOffset StartedAt { get; internal set; }

    /// <summary>Gets how long the conversation took.</summary>
    public TimeSpan Duration { get; internal set; }

    /// <summary>Gets the greeting (code and text of the first line), or <see langword="null"/>.</summary>
    public string? Banner { get; internal set; }

    /// <summary>Gets the EHLO keywords (with parameters) offered in plaintext.</summary>
    public IReadOnlyList<string> EhloKeywords { get; internal set; } = Array.Empty<string>();

    /// <summary>Gets a value indicating whether STARTTLS was offered.</summary>
    public bool StartTlsOffered { get; internal set; }

    /// <summary>Gets the reply to STARTTLS (e.g. <c>220 2.0.0 Ready to start TLS</c>), or <see langword="null"/>.</summary>
    public string? StartTlsReply { get; internal set; }

    /// <summary>Gets the TLS session, or <see langword="null"/> when none was established.</summary>
    public TlsSessionInfo? Tls { get; internal set; }

    /// <summary>Gets the EHLO keywords offered inside TLS; <see langword="null"/> when that EHLO did not happen.</summary>
    public IReadOnlyList<string>? EhloKeywordsAfterTls { get; internal set; }

    /// <summary>Gets a value indicating whether REQUIRETLS was offered inside TLS (RFC 8689 §2).</summary>
    public bool RequireTls { get; internal set; }

    /// <summary>Gets the <c>LINKSECURE</c> announcement inside TLS, or <see langword="null"/>.</summary>
    public EhloKeyword? LinkSecure { get; internal set; }

    /// <summary>Gets notes: a malformed <c>LINKSECURE</c> keyword, keywords offered only in plaintext, data sent
    /// after the 220 to STARTTLS, and the like.</summary>
    public IReadOnlyList<string> Warnings => warnings;

    /// <summary>Gets a value indicating whether the outcome says something about the host (everything except
    /// <see cref="SmtpProbeOutcome.Unreachable"/> and <see cref="SmtpProbeOutcome.Inconclusive"/>).</summary>
    public bool IsConclusive => Outcome is not (SmtpProbeOutcome.Unreachable or SmtpProbeOutcome.Inconclusive);

    private readonly List<string> warnings = new();

    internal void AddWarning(string warning) => warnings.Add(warning);

    /// <summary>One line for logs and tables, e.g. <c>TLSv1.3, certificate valid, REQUIRETLS</c>.</summary>
    /// <returns>A summary of the outcome.</returns>
    public string Summarize()
    {
        switch (Outcome)
        {
            case SmtpProbeOutcome.Unreachable:
            case SmtpProbeOutcome.Inconclusive:
                return Error ?? Outcome.ToString();
            case SmtpProbeOutcome.NoStartTls:
                return StartTlsOffered ? "STARTTLS refused: " + (StartTlsReply ?? Error) : Error ?? "no STARTTLS";
            case SmtpProbeOutcome.TlsHandshakeFailed:
                return Error ?? "TLS handshake failed";
        }

        var parts = new List<string> { Tls!.Protocol };
        if (Tls.Dane is { } dane)
        {
            parts.Add(dane.Matched ? "DANE match" : "DANE mismatch");
        }

        parts.Add(Tls.CertificateValid ? "certificate valid" : "certificate not valid: " + Tls.CertificateProblem);
        if (RequireTls)
        {
            parts.Add("REQUIRETLS");
        }

        if (LinkSecure is not null)
        {
            parts.Add(LinkSecure.ToString());
        }

        if (Error is not null)
        {
            parts.Add(Error);
        }

        return string.Join(", ", parts);
    }
}
