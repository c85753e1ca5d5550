using System;
using System.IO;
using System.Text;
using System.Threading.Tasks;
using LinkSecure.Core.Configuration;
using LinkSecure.Core.Database;
using LinkSecure.Core.Handling;
using LinkSecure.Core.Profiles;
using LinkSecure.Core.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace LinkSecure.Core.Tests.Handling;

internal static class HandlingTestKit
{
    /// <summary>How long a test waits for something that must happen, before it fails instead of hanging.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    public static readonly LinkSecurityRequest Level1Bounce = new(LinkSecurityLevel.TransportSecure, FallbackAction.Bounce, false, RequestSources.LinkSecurity);
    public static readonly LinkSecurityRequest Level1SafePart = new(LinkSecurityLevel.TransportSecure, FallbackAction.SafePart, false, RequestSources.LinkSecurity);
    public static readonly LinkSecurityRequest Waiver = new(LinkSecurityLevel.None, FallbackAction.Bounce, true, RequestSources.TlsRequiredNo);

    public static LinkSecureSettings Settings(string json = "{}") => LinkSecureSettings.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)));

    public static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    public static DecisionStack Stack(IDomainProfileSource? network, string json = "{}", TimeProvider? time = null) =>
        DecisionStack.Create(Settings(json), KnownDomainDatabase.Empty, network, time ?? Clock());

    public static MessageRecipient[] Recipients(params string[] addresses)
    {
        var list = new MessageRecipient[addresses.Length];
        for (var i = 0; i < addresses.Length; i++)
        {
            list[i] = new MessageRecipient(addresses[i], hostSaysInternal: false);
        }

        return list;
    }

    /// <summary>Awaits a task the test expects to complete; fails, rather than hangs, if it does not.</summary>
    public static async Task<T> Completed<T>(Task<T> task)
    {
        if (await Task.WhenAny(task, Task.Delay(HangGuard)).ConfigureAwait(false) != task)
        {
            throw new TimeoutException("The task did not complete: the code under test hangs.");
        }

        return await task.ConfigureAwait(false);
    }

    /// <summary>Awaits a task the test expects to complete; fails, rather than hangs, if it does not.</summary>
    public static async Task Completed(Task task)
    {
        if (await Task.WhenAny(task, Task.Delay(HangGuard)).ConfigureAwait(false) != task)
        {
            throw new TimeoutException("The task did not complete: the code under test hangs.");
        }

        await task.ConfigureAwait(false);
    }
}
