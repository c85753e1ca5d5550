// Compile-time facade of Microsoft.Exchange.Data.Transport: see ../Facade.props.
// Surface: a subset of Microsoft's, identical signatures (checked by ../check-surface.sh).
// Bodies: a value holder, not Exchange's response formatting.
using System;

namespace Microsoft.Exchange.Data.Transport.Smtp
{
    public struct SmtpResponse : IEquatable<SmtpResponse>
    {
        public static readonly SmtpResponse Empty = default(SmtpResponse);

        private readonly string statusCode;
        private readonly string enhancedStatusCode;
        private readonly string dsnExplanation;
        private readonly string[] statusText;

        [Obsolete("This constructor is deprecated, please use SmtpResponse.Create() instead.")]
        public SmtpResponse(string statusCode, string enhancedStatusCode, params string[] statusText)
        {
            this.statusCode = statusCode;
            this.enhancedStatusCode = enhancedStatusCode;
            this.dsnExplanation = null;
            this.statusText = statusText;
        }

        [Obsolete("This constructor is deprecated, please use SmtpResponse.CreateWithDsnExplanation() instead.")]
        public SmtpResponse(string statusCode, string enhancedStatusCode, string dsnExplanation, bool overloadDifferentiator, params string[] statusText)
        {
            this.statusCode = statusCode;
            this.enhancedStatusCode = enhancedStatusCode;
            this.dsnExplanation = dsnExplanation;
            this.statusText = statusText;
        }

        public bool IsEmpty
        {
            get { return string.IsNullOrEmpty(this.statusCode); }
        }

        public string DsnExplanation
        {
            get { return this.dsnExplanation; }
        }

        public SmtpResponseType SmtpResponseType
        {
            get
            {
                if (string.IsNullOrEmpty(this.statusCode))
                {
                    return SmtpResponseType.Unknown;
                }

                switch (this.statusCode[0])
                {
                    case '2': return SmtpResponseType.Success;
                    case '3': return SmtpResponseType.IntermediateSuccess;
                    case '4': return SmtpResponseType.TransientError;
                    case '5': return SmtpResponseType.PermanentError;
                    default: return SmtpResponseType.Unknown;
                }
            }
        }

        public string StatusCode
        {
            get { return this.statusCode; }
        }

        public string EnhancedStatusCode
        {
            get { return this.enhancedStatusCode; }
        }

        public string[] StatusText
        {
            get { return this.statusText; }
        }

        public bool Equals(SmtpResponse comparand)
        {
            return string.Equals(this.ToString(), comparand.ToString(), StringComparison.Ordinal);
        }

        public override bool Equals(object obj)
        {
            return obj is SmtpResponse && this.Equals((SmtpResponse)obj);
        }

        public override int GetHashCode()
        {
            return StringComparer.Ordinal.GetHashCode(this.ToString());
        }

        public override string ToString()
        {
            if (this.IsEmpty)
            {
                return string.Empty;
            }

            string text = this.statusText == null ? string.Empty : string.Join(" ", this.statusText);
            return (this.statusCode + " " + (this.enhancedStatusCode ?? string.Empty) + " " + text).TrimEnd();
        }

        public static bool operator ==(SmtpResponse response1, SmtpResponse response2)
        {
            return response1.Equals(response2);
        }

        public static bool operator !=(SmtpResponse response1, SmtpResponse response2)
        {
            return !response1.Equals(response2);
        }
    }

    public enum SmtpResponseType
    {
        Unknown = 0,
        Success = 1,
        IntermediateSuccess = 2,
        TransientError = 3,
        PermanentError = 4,
    }
}
