using LinkSecure.Core.Protocol;

namespace LinkSecure.Core.Configuration;

/// <summary>A label rule of <see cref="StatusSettings.LabelRules"/>: messages with this label propose this request.</summary>
public sealed class StatusLabelRule
{
    internal StatusLabelRule(string label, LinkSecurityLevel level, FallbackAction fallback)
    {
        Label = label;
        Level = level;
        Fallback = fallback;
    }

    /// <summary>Gets the label (compared without regard to case).</summary>
    public string Label { get; }

    /// <summary>Gets the level the label proposes (1 to 4).</summary>
    public LinkSecurityLevel Level { get; }

    /// <summary>Gets the fallback the label proposes.</summary>
    public FallbackAction Fallback { get; }
}
