using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace LinkSecure.Cli.Serve;

/// <summary>
/// The Outlook add-in's files under <c>/addin/</c> (docs/serve.md): the add-in's web folder and the
/// <c>@microsoft/office-js</c> <c>dist/</c> files beside it, served unchanged with their MIME types, except the add-in's
/// <c>manifest.xml</c> and <c>launchevent.js</c>, whose token <see cref="BaseUrlToken"/> is replaced by the service's
/// public base URL (the JavaScript-only runtime before Mailbox 1.14 learns the service's URL from it).
/// </summary>
internal sealed class AddinFiles
{
    /// <summary>The literal token in the manifest template that becomes the public base URL.</summary>
    public const string BaseUrlToken = "__LINKSECURE_BASE_URL__";

    /// <summary>The request path the files are served under.</summary>
    public const string RequestPath = "/addin";

    /// <summary>The manifest template's file name in the add-in folder.</summary>
    public const string ManifestName = "manifest.xml";

    /// <summary>The event-based activation script the classic Windows runtime loads (allowed for full CORS).</summary>
    public const string LaunchEventScript = "launchevent.js";

    private readonly Func<string> publicUrl;

    public AddinFiles(string directory, Func<string> publicUrl)
    {
        Directory = Path.GetFullPath(directory);
        this.publicUrl = publicUrl;
    }

    /// <summary>Gets the folder served.</summary>
    public string Directory { get; }

    /// <summary>Gets a value indicating whether the folder exists.</summary>
    public bool Exists => System.IO.Directory.Exists(Directory);

    /// <summary>The MIME types: ASP.NET Core's table, plus the few an add-in folder has that it lacks or types loosely.</summary>
    public static FileExtensionContentTypeProvider ContentTypes()
    {
        var provider = new FileExtensionContentTypeProvider();
        provider.Mappings[".js"] = "text/javascript; charset=utf-8";
        provider.Mappings[".mjs"] = "text/javascript; charset=utf-8";
        provider.Mappings[".css"] = "text/css; charset=utf-8";
        provider.Mappings[".html"] = "text/html; charset=utf-8";
        provider.Mappings[".json"] = "application/json; charset=utf-8";
        provider.Mappings[".xml"] = "application/xml; charset=utf-8";
        provider.Mappings[".map"] = "application/json; charset=utf-8";
        return provider;
    }

    /// <summary>Maps the manifest and the well-known file, and serves the folder (or 404 problems when it is absent).</summary>
    public void Map(WebApplication app)
    {
        app.MapGet(RequestPath + "/" + ManifestName, context => TemplateAsync(context, ManifestName, "application/xml; charset=utf-8"));
        app.MapGet(RequestPath + "/" + LaunchEventScript, context => TemplateAsync(context, LaunchEventScript, "text/javascript; charset=utf-8"));
        app.MapGet("/.well-known/microsoft-officeaddins-allowed.json", AllowedAsync);
        if (!Exists)
        {
            app.MapGet(RequestPath + "/{**path}", NotInstalledAsync);
            return;
        }

        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(Directory),
            RequestPath = RequestPath,
            ContentTypeProvider = ContentTypes(),
            ServeUnknownFileTypes = false,
            OnPrepareResponse = file => file.Context.Response.Headers.CacheControl = "no-cache",
        });
    }

    private Task NotInstalledAsync(HttpContext context) =>
        StatusApi.WriteProblemAsync(context, StatusCodes.Status404NotFound, "addin-not-installed", "Add-in not installed", "the add-in files are not installed on this service (docs/serve.md, \"Add-in files\")");

    private async Task TemplateAsync(HttpContext context, string name, string contentType)
    {
        var path = Path.Combine(Directory, name);
        if (!File.Exists(path))
        {
            await NotInstalledAsync(context).ConfigureAwait(false);
            return;
        }

        var template = await File.ReadAllTextAsync(path, Encoding.UTF8, context.RequestAborted).ConfigureAwait(false);
        var body = Encoding.UTF8.GetBytes(template.Replace(BaseUrlToken, publicUrl(), StringComparison.Ordinal));
        context.Response.ContentType = contentType;
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The classic Windows JavaScript-only runtime grants full CORS to scripts listed here
    /// (docs/serve.md; reference §2.3).</summary>
    private async Task AllowedAsync(HttpContext context)
    {
        var allowed = new List<string>();
        if (File.Exists(Path.Combine(Directory, LaunchEventScript)))
        {
            allowed.Add(publicUrl() + RequestPath + "/" + LaunchEventScript);
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, List<string>> { ["allowed"] = allowed });
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }
}
