namespace LinkSecure.Exchange.Simulator;

/// <summary>
/// How long a mail item submitted as TNEF (Outlook, OWA) stays TNEF: <c>EmailMessage.TnefPart</c> is not
/// <see langword="null"/> until content conversion. Where conversion happens is unverified: the SDK documentation and
/// the RoutingAgent how-to disagree, and public agents treat <c>OnCategorizedMessage</c> as the first event after it
/// (shared/reference/exchange-transport.md §2).
/// </summary>
public enum TnefUntil
{
    /// <summary>Converted after <c>OnRoutedMessage</c>: TNEF at <c>OnResolvedMessage</c> and <c>OnRoutedMessage</c>,
    /// MIME at <c>OnCategorizedMessage</c> (the default).</summary>
    Routed = 0,

    /// <summary>Never converted in the categorizer: TNEF at every event.</summary>
    Categorized = 1,

    /// <summary>MIME from the start: no event sees a TNEF part.</summary>
    None = 2,
}
